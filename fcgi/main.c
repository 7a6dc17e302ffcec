/* parley: one binary, several commands (DESIGN.md). */
#include "commands.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *help;
} commands[] = {
    {"web", cmd_web, "run the FastCGI worker pool for the staff UI"},
    {"hooks", cmd_hooks, "run the FastCGI worker pool for webhooks, or replay stored deliveries"},
    {"harvest", cmd_harvest, "run the harvester daemon"},
    {"migrate", cmd_migrate, "apply migrations/ and sql/ to $PARLEY_DB"},
    {"user", cmd_user, "add|passwd|disable|exists staff accounts"},
    {"import", cmd_import, "load recorded API responses through the normalizers"},
};

int main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fputs("parley: libsodium failed to initialise\n", stderr);
        return 1;
    }
    if (argc >= 2)
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (!strcmp(argv[1], commands[i].name))
                return commands[i].run(argc - 1, argv + 1);
    fputs("usage: parley COMMAND [ARGS]\n", stderr);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(stderr, "  %-8s %s\n", commands[i].name, commands[i].help);
    return 2;
}
