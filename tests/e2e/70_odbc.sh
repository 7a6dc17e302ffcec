# KPIs through ODBC, as a BI tool reads them: Debian's psqlodbc driver under
# unixODBC, signed in as parley_bi over the cluster's unix socket. A small
# dataset of our own on a day nobody else uses, figures worked out by hand.
echo "# KPI views through ODBC as parley_bi"
odbc_drv=$(ls /usr/lib/*/odbc/psqlodbcw.so 2>/dev/null | head -n1)
if ! command -v isql >/dev/null || [ -z "$odbc_drv" ]; then
  nok "ODBC: unixodbc and odbc-postgresql are installed" "apt-get install -y odbc-postgresql unixodbc"
else
  ODBC_DIR=$E2E_TMP/odbc
  mkdir -p "$ODBC_DIR"
  cat >"$ODBC_DIR/odbcinst.ini" <<INI
[Parley PostgreSQL]
Driver = $odbc_drv
INI
  cat >"$ODBC_DIR/odbc.ini" <<INI
[parley_bi]
Driver = Parley PostgreSQL
Servername = $PARLEY_VAR/run
Port = $PARLEY_PGPORT
Database = parley
Username = parley_bi
Password = $(cat "$PARLEY_VAR/secrets/bi.pw" 2>/dev/null)
INI
  # odbc SQL: one statement through isql, rows as a|b|c
  odbc() { printf '%s\n' "$1" | ODBCSYSINI=$ODBC_DIR ODBCINI=$ODBC_DIR/odbc.ini isql -b -d'|' parley_bi -v 2>&1; }

  # 2025-06-10 is a Tuesday; Shanghai office hours 09:00-18:00.
  #   k1 direct 10:00, answered 10:20 by the brand    -> needs, answered, 1200 s
  #   k2 direct 11:00, answered 12:00                  -> needs, answered, 3600 s
  #   k3 direct 20:00, never answered                  -> needs
  #   k4 a plain post, no rule, no case                -> needs no answer
  #   k5 deleted                                       -> not a mention
  sql "INSERT INTO social.account (platform, handle, external_id) VALUES ('mastodon', 'e2e-kpi', 'e2e-kpi-b');
       INSERT INTO social.profile (platform, external_id, handle) VALUES ('mastodon', 'e2e-kpi-b', 'e2e-kpi'),
         ('mastodon', 'e2e-kpi-u', 'kpi-customer');
       INSERT INTO social.post (platform, external_id, account_id, author_id, kind, body, created_at, deleted_at)
       SELECT 'mastodon', x, a.id, u.id, k, 'xqzk ' || x, t, d
       FROM social.account a, social.profile u,
         (VALUES ('e2e-k1', 'direct', timestamptz '2025-06-10 10:00+08', NULL::timestamptz),
                 ('e2e-k2', 'direct', '2025-06-10 11:00+08', NULL), ('e2e-k3', 'direct', '2025-06-10 20:00+08', NULL),
                 ('e2e-k4', 'post', '2025-06-10 14:00+08', NULL),
                 ('e2e-k5', 'direct', '2025-06-10 15:00+08', '2025-06-10 15:01+08')) v(x, k, t, d)
       WHERE a.handle = 'e2e-kpi' AND u.external_id = 'e2e-kpi-u';
       INSERT INTO social.post (platform, external_id, account_id, author_id, kind, body, created_at, parent_id)
       SELECT 'mastodon', 'e2e-r' || x, q.account_id, b.id, 'direct', 'xqzk reply', t, q.id
       FROM (VALUES ('1', timestamptz '2025-06-10 10:20+08'), ('2', '2025-06-10 12:00+08')) v(x, t)
       JOIN social.post q ON q.external_id = 'e2e-k' || x
       JOIN social.profile b ON b.external_id = 'e2e-kpi-b'" >/dev/null
  # the harvester's maintenance role refreshes
  eq "the harvester role refreshes the KPIs" \
     "$(sql "SET ROLE parley_harvest; SELECT kpi.refresh(true)->>'full'")" true
  eq "ODBC signs in as parley_bi" "$(odbc "SELECT current_user" | head -n1)" parley_bi
  k_acct=$(sql "SELECT id FROM social.account WHERE handle = 'e2e-kpi'")
  eq "volume through ODBC: 4 mentions, 2 own replies" \
     "$(odbc "SELECT mentions, own_posts FROM kpi.volume_daily WHERE day = '2025-06-10' AND account_id = $k_acct AND category = 'all'")" \
     "4|2"
  # 2 of 3 answered; median of 1200 and 3600 = 2400, both within office hours
  eq "response rate and median time through ODBC" \
     "$(odbc "SELECT needing_answer, answered, response_rate, response_median_s, response_business_median_s FROM kpi.response_daily WHERE day = '2025-06-10' AND account_id = $k_acct")" \
     "3|2|0.6667|2400|2400"
  eq "the account dimension" "$(odbc "SELECT handle FROM kpi.account WHERE account_id = $k_acct")" e2e-kpi
  check "live views read through ODBC (backlog, SLA breaches)" \
    grep -qxE '[0-9]+' <<<"$(odbc "SELECT count(*) FROM kpi.backlog")$(odbc "SELECT count(*) FROM kpi.sla_breaches")"
  has "ODBC: crm is out of reach" "$(odbc 'SELECT count(*) FROM crm."case"')" "permission denied"
  has "ODBC: social is out of reach" "$(odbc 'SELECT count(*) FROM social.post')" "permission denied"
  has "ODBC: parley_bi cannot refresh" "$(odbc 'SELECT kpi.refresh(false)')" "permission denied"

  sql "DELETE FROM social.post WHERE external_id LIKE 'e2e-k%' OR external_id LIKE 'e2e-r%';
       DELETE FROM social.account WHERE handle = 'e2e-kpi';
       DELETE FROM social.profile WHERE external_id IN ('e2e-kpi-b', 'e2e-kpi-u');
       SELECT kpi.refresh(true)" >/dev/null
fi
