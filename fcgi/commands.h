/* The subcommands of the one `parley` binary. Each returns the exit status. */
#ifndef PARLEY_COMMANDS_H
#define PARLEY_COMMANDS_H

int cmd_web(int argc, char **argv);
int cmd_harvest(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_hooks(int argc, char **argv);

#endif
