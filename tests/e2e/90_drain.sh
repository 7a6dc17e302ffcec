# Last, because it stops the web pool (sourced by run.sh).
echo "# SIGTERM drains the request in flight (last: stops the pool)"
master=$(cat "$PARLEY_VAR/run/web.pid")
fifo=$E2E_TMP/body.fifo; mkfifo "$fifo"
# Talk FastCGI straight to the pool: the worker accepts the request and waits
# for the rest of its body while the pool is told to stop.
(env -i REQUEST_METHOD=POST DOCUMENT_URI=/language CONTENT_TYPE=application/x-www-form-urlencoded \
   CONTENT_LENGTH=20 HTTP_HOST=drain cgi-fcgi -bind -connect "$PARLEY_VAR/run/web.sock" <"$fifo" >"$E2E_TMP/drain.out" 2>&1) &
client=$!
exec 3>"$fifo"
printf 'lang=en&' >&3
sleep 0.5
kill -TERM "$master"
sleep 0.5
check "the pool is still up while a request is in flight" kill -0 "$master"
printf 'csrf=abcdefghij' >&3
exec 3>&-
wait "$client"
has "the in-flight request got its complete answer" "$(head -n1 "$E2E_TMP/drain.out")" "Status: 403"
for _ in $(seq 50); do kill -0 "$master" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$master" 2>/dev/null; then nok "the pool exits after draining"; else ok "the pool exits after draining"; fi
has "… and says so" "$(tail -n 3 "$PARLEY_VAR/log/web.log")" "parley: stopped"
rm -f "$PARLEY_VAR/run/web.pid"
