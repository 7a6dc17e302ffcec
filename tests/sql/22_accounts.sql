-- Editing a brand account: its name, API base URL and platform id change;
-- with another URL or id its streams start over; bad values are refused
-- and change nothing. Adding one needs a handle and, where Parley
-- harvests, a URL; a new token does not resume a paused account.
BEGIN;
SELECT plan(69);
SET LOCAL client_min_messages = warning;

SELECT auth.user_add(u, u, r::auth.staff_role, '$argon2id$v=19$m=19456,t=2,p=1$x$y')
FROM (VALUES ('tap_acc_m', 'marketer'), ('tap_acc_a', 'agent'), ('tap_acc_ad', 'admin')) v(u, r);
INSERT INTO auth.session (token_hash, staff_id, csrf_token)
SELECT sha256(convert_to('tok-' || username, 'UTF8')), id, 'c' FROM auth.staff WHERE username IN ('tap_acc_m', 'tap_acc_a', 'tap_acc_ad');
SELECT set_config('parley.session', 'tok-tap_acc_m', true);

SELECT (api.account_add('{"platform": "mastodon", "handle": "tap-acc", "api_base_url": "https://old.example", "external_id": "11"}')->>'id')::bigint AS acc \gset
SELECT (api.account_add('{"platform": "mastodon", "handle": "tap-acc2", "api_base_url": "https://old.example", "external_id": "12"}')->>'id')::bigint AS acc2 \gset
UPDATE ingest.stream SET state = '{"max_id": "5"}', next_run_at = now() + interval '1 hour', quota_remaining = 3,
                         run_started_at = now(), run_complete = false, last_walk_seen = 9,
                         lease_owner = 'tap-h', lease_until = now() + interval '1 minute'
WHERE account_id IN (:acc, :acc2);

SELECT is(api.account_edit(jsonb_build_object('id', :acc, 'display_name', 'Lumen 卢门', 'api_base_url', 'https://old.example',
                                              'external_id', '11')), jsonb_build_object('id', :acc), 'a new display name is saved');
SELECT is((SELECT count(*) FROM ingest.stream WHERE account_id = :acc AND state = '{"max_id": "5"}'), 4::bigint,
          '… and the streams go on where they were');
SELECT is(api.account_edit(jsonb_build_object('id', :acc, 'display_name', 'Lumen 卢门', 'api_base_url', 'https://new.example/',
                                              'external_id', '21'))->>'id', :acc::text, 'the instance moved');
SELECT is((SELECT display_name || '|' || api_base_url || '|' || external_id FROM social.account WHERE id = :acc),
          'Lumen 卢门|https://new.example|21', '… saved without the trailing slash');
SELECT is((SELECT count(*) FROM ingest.stream WHERE account_id = :acc AND state = '{}' AND next_run_at <= now()
             AND quota_remaining IS NULL AND run_started_at IS NULL AND run_complete AND last_walk_seen IS NULL), 4::bigint,
          '… its streams start over from the top at once');
SELECT throws_ok(format($$SELECT ingest.record_page(%s, 'tap-h', 'statuses', 'https://old.example/x', 200, '{}', '[]', '{"max_id": "4"}',
                                                     false, NULL, NULL)$$, (SELECT id FROM ingest.stream WHERE account_id = :acc AND kind = 'own_posts')),
                 'PR409', NULL, '… and a page read from the old one is not recorded');
SELECT is(social.account_base_url('mastodon', 'HTTPS://Mastodon.example/'), 'https://Mastodon.example',
          'a scheme typed in capitals is taken, written in lower case');
SELECT throws_ok(format($$SELECT api.account_edit('{"id": %s}')$$, :acc), 'PR422',
                 'The API base URL is required: Parley reads this platform through it.',
                 'an API base URL left empty is said to be required, not to be of the wrong form');
SELECT throws_ok(format($$SELECT api.account_edit('{"id": %s, "api_base_url": "ftp://x"}')$$, :acc), 'PR422', NULL,
                 'a base URL that is not http(s) is refused');
SELECT is((SELECT api_base_url || '|' || external_id FROM social.account WHERE id = :acc), 'https://new.example|21',
          '… and changed nothing');
SELECT throws_ok($$SELECT api.account_edit('{"id": 999999999, "api_base_url": "https://x.example"}')$$, 'PR404', NULL,
                 'an unknown account is not found');
SELECT throws_ok(format($$SELECT api.account_edit('{"id": %s, "display_name": "No URL"}')$$, :acc), 'PR422', NULL,
                 'a harvested account''s URL cannot be cleared (the form drops an empty field)');
SELECT throws_ok(format($$SELECT api.account_edit('{"id": %s, "api_base_url": "https://m.example/\r\nX-Evil: 1"}')$$, :acc), 'PR422', NULL,
                 'a URL with a line break is refused');
SELECT is((SELECT display_name || '|' || api_base_url FROM social.account WHERE id = :acc), 'Lumen 卢门|https://new.example',
          '… and neither changed anything');
SELECT throws_ok($$SELECT api.account_add('{"platform": "mastodon", "handle": "tap-acc3"}')$$, 'PR422', NULL,
                 'a Mastodon account without its instance''s URL is refused');
SELECT throws_ok($$SELECT api.account_add('{"platform": "mastodon", "handle": "   ", "api_base_url": "https://m.example"}')$$, 'PR422',
                 'The handle is required.', 'so is one without a handle');
SELECT throws_ok(format($$SELECT api.account_add(%L)$$, jsonb_build_object('platform', 'mastodon', 'handle', 'tap-acc4',
                 'api_base_url', 'https://m.example', 'keywords', 'ok, ' || repeat('k', 201))), 'PR422',
                 'Each search keyword is at most 200 characters.', 'a search keyword over 200 characters is refused by name');
SELECT throws_ok(format($$SELECT api.account_add(%L)$$, jsonb_build_object('platform', 'mastodon', 'handle', 'tap-many',
                 'api_base_url', 'https://m.example', 'keywords', (SELECT string_agg('k' || n, ',') FROM generate_series(1, 21) n))), 'PR422',
                 'An account searches at most 20 keywords; listening rules search more.', '21 keywords are refused (each is a stream on the quota)');
SELECT throws_ok(format($$SELECT api.account_add(%L)$$, jsonb_build_object('platform', 'mastodon', 'handle', 'tap-bidi',
                 'api_base_url', 'https://m.example', 'keywords', E'ok, \u202Elive')), 'PR422',
                 'Search keywords cannot contain control or text-direction characters.', '… and a keyword with a right-to-left override');
SELECT throws_ok(format($$SELECT api.account_add(%L)$$, jsonb_build_object('platform', 'mastodon', 'handle', E'brand\u202Eliam.moc',
                 'api_base_url', 'https://m.example')), 'PR422',
                 'Names, titles, handles, subjects and tags cannot contain control or text-direction characters.', 'a handle with a right-to-left override is refused');
SELECT throws_ok(format($$SELECT api.account_edit(%L)$$, jsonb_build_object('id', :acc, 'display_name', E'Brand\r\nX',
                 'api_base_url', 'https://m.example')), 'PR422', NULL, '… and a display name with a line break');
SELECT throws_ok(format($$SELECT api.account_token(%L)$$, jsonb_build_object('id', :acc, 'token', ' ')), 'PR422',
                 'A token or secret is one word of visible ASCII characters, without spaces: paste it again.', 'a token of one space is refused');
-- A new token resumes an account that needed one, not a paused one.
UPDATE social.account SET status = 'paused' WHERE id = :acc2;
SELECT api.account_token(jsonb_build_object('id', :acc2, 'token', 'tok-new')) IS NULL AS silenced \gset
SELECT is((SELECT status FROM social.account WHERE id = :acc2), 'paused', 'a new token leaves a paused account paused');
UPDATE social.account SET status = 'needs_reauth' WHERE id = :acc2;
SELECT throws_ok(format($$SELECT api.account_status('{"id": %s, "status": "active"}')$$, :acc2), 'PR409', NULL,
                 'an account that needs a new token cannot just be resumed (409, not 404)');
SELECT is((SELECT count(*) FILTER (WHERE st->'next_run_at' <> 'null') || '/' || count(*)
           FROM jsonb_array_elements(api.accounts()->'accounts') a, jsonb_array_elements(a->'streams') st
           WHERE (a->>'id')::bigint = :acc2), '0/4', '… and the accounts page shows its streams with no next run');
-- Paused instead (to stop trying), then resumed: its streams, put off by the
-- refused token, are due at once, so the harvester finds out about the token again.
UPDATE ingest.stream SET next_run_at = now() + interval '100 years' WHERE account_id = :acc2;
SELECT api.account_status(jsonb_build_object('id', :acc2, 'status', 'paused')) IS NULL AS silenced \gset
SELECT api.account_status(jsonb_build_object('id', :acc2, 'status', 'active')) IS NULL AS silenced \gset
SELECT is((SELECT count(*) FROM ingest.stream WHERE account_id = :acc2 AND next_run_at <= now()), 4::bigint,
          'a paused account that needed a token, resumed, has its streams due now');
-- A token goes only to the server that issued it.
SELECT api.account_edit(jsonb_build_object('id', :acc2, 'api_base_url', 'https://OLD.example/api', 'external_id', '12')) IS NULL AS silenced \gset
SELECT is((SELECT access_token FROM social.account_credential WHERE account_id = :acc2), 'tok-new',
          'another path on the same server keeps the token');
SELECT api.account_edit(jsonb_build_object('id', :acc2, 'api_base_url', 'https://old.example.evil.test', 'external_id', '12')) IS NULL AS silenced \gset
SELECT is((SELECT count(*) FROM social.account_credential WHERE account_id = :acc2), 0::bigint,
          'another server drops it (a marketer cannot send an admin''s token to a host of their own)');
SELECT is((SELECT status FROM social.account WHERE id = :acc2), 'needs_reauth', '… and the account waits for a token from there');
SELECT is((SELECT detail FROM auth.audit_log WHERE event = 'account_edited' ORDER BY id DESC LIMIT 1),
          jsonb_build_object('account', :acc2, 'api_base_url', 'https://OLD.example/api → https://old.example.evil.test', 'token_dropped', true),
          '… which the audit log records with the old and new address');
SELECT api.account_status(jsonb_build_object('id', :acc2, 'status', 'paused')) IS NULL AS silenced \gset
SELECT throws_ok(format($$SELECT api.account_status('{"id": %s, "status": "active"}')$$, :acc2), 'PR409',
                 'The account needs a new token before it can harvest again.',
                 'paused while it needed a token, it cannot be resumed without one');
SELECT is((SELECT status || ' ' || status_message FROM social.account WHERE id = :acc2),
          'paused The API base URL names another server: set a token from that server.',
          '… and still says that it needs one');
SELECT api.account_token(jsonb_build_object('id', :acc2, 'token', 'tok-from-there')) IS NULL AS silenced \gset
SELECT is((SELECT status || ' ' || coalesce(status_message, '-') FROM social.account WHERE id = :acc2), 'paused -',
          '… until a token is set: then it stays paused, without that warning');

-- An account is connected once: a handle typed in another case or with an @,
-- or the same platform id at the same API base URL, is the same account.
SELECT throws_ok(format($$SELECT api.account_add(%L)$$, jsonb_build_object('platform', 'mastodon', 'handle', '@TAP-ACC',
                 'api_base_url', 'https://m.example')), 'PR409', 'That account is already connected.',
                 'a handle in another case with an @ is the account already connected');
SELECT throws_ok(format($$SELECT api.account_add(%L)$$, jsonb_build_object('platform', 'mastodon', 'handle', 'tap-acc-again',
                 'api_base_url', 'https://NEW.example', 'external_id', '21')), 'PR409', 'That account is already connected.',
                 '… and so is its platform id at its API base URL');
SELECT is((api.account_add(jsonb_build_object('platform', 'mastodon', 'handle', '@tap-acc-other', 'api_base_url', 'https://other.example',
           'external_id', '21'))->>'id')::bigint > 0, true, 'the same id on another instance is another account');
SELECT is((SELECT handle FROM social.account WHERE handle LIKE '%tap-acc-other'), 'tap-acc-other', '… its handle kept without the @');
SELECT throws_ok(format($$SELECT api.account_edit(%L)$$, jsonb_build_object('id', :acc2, 'api_base_url', 'https://new.example',
                 'external_id', '21')), 'PR409', 'That account is already connected.', 'an edit cannot make an account another''s copy');

-- What the account form takes, field by field.
SELECT throws_ok(format($$SELECT api.account_add(%L)$$, jsonb_build_object('platform', 'mastodon', 'handle', 'tap-u1',
                 'api_base_url', u)), 'PR422',
                 'The API base URL has no user name, password, query or fragment, and a port is 1 to 65535.', 'refused: ' || u)
FROM unnest(ARRAY['https://user:pass@m.example', 'https://m.example:99999', 'https://m.example:0/api',
                  'https://m.example:80x', 'https://m.example/?x=1', 'https://m.example/#top', 'http://h:8080:9/x']) u;
SELECT is((api.account_add(jsonb_build_object('platform', 'mastodon', 'handle', 'tap-u6', 'api_base_url', 'http://[::1]:8080/m'))->>'id')::bigint > 0,
          true, 'an IPv6 address with a port is taken');
SELECT is((api.account_add(jsonb_build_object('platform', 'mastodon', 'handle', 'tap-u2', 'api_base_url', 'https://m.example:8443/api',
           'external_id', ' did:plc:abc_1.2-3 '))->>'id')::bigint > 0, true, 'a port and a DID are taken');
SELECT is((SELECT external_id FROM social.account WHERE handle = 'tap-u2'), 'did:plc:abc_1.2-3', '… the id without its spaces');
SELECT throws_ok(format($$SELECT api.account_add(%L)$$, jsonb_build_object('platform', 'mastodon', 'handle', 'tap-u3',
                 'api_base_url', 'https://m.example', 'external_id', E'../../admin?x=1\n')), 'PR422',
                 'The platform id is letters, digits and . _ : @ - only.', 'a platform id with a path and a line break is refused');
SELECT throws_ok(format($$SELECT api.account_add(%L)$$, jsonb_build_object('platform', 'mastodon', 'handle', 'two words',
                 'api_base_url', 'https://m.example')), 'PR422', 'A handle has no spaces or invisible characters (the display name may have spaces).',
                 'a handle with a space is refused');
SELECT throws_ok(format($$SELECT api.account_add(%L)$$, jsonb_build_object('platform', 'mastodon', 'handle', E'tap\u200Bacc',
                 'api_base_url', 'https://m.example')), 'PR422',
                 'A handle has no spaces or invisible characters (the display name may have spaces).',
                 '… and one with a zero-width space (a second "tapacc" that looks like the first)');
SELECT throws_ok(format($$SELECT api.account_add(%L)$$, jsonb_build_object('platform', 'mastodon', 'handle', '＠ＴＡＰ－ＡＣＣ',
                 'api_base_url', 'https://m.example')), 'PR409', 'That account is already connected.',
                 'a handle in full-width letters, with a full-width @, is the account already connected');
SELECT throws_ok(format($$SELECT api.account_add(%L)$$, jsonb_build_object('platform', 'mastodon', 'handle', 'tap-acc＠',
                 'api_base_url', 'https://m.example')), 'PR422',
                 'A handle does not end with @: give the name after the @, or the whole name@server.',
                 'a handle half-typed, ending in @ (full-width too), is refused');
SELECT api.account_add('{"platform": "mastodon", "handle": "＠ｔａｐ－ｗｉｄｅ", "api_base_url": "https://m.example"}')->>'id' AS wide \gset
SELECT is((SELECT handle FROM social.account WHERE id = :wide), 'tap-wide', '… and a new one is stored in its plain form');
SELECT throws_ok(format($$SELECT api.account_token(%L)$$, jsonb_build_object('id', :acc, 'token', E'abc\u202Edef')), 'PR422',
                 NULL, 'a token with a right-to-left override is refused');

SELECT throws_ok(format($$SELECT api.account_add(%L)$$, jsonb_build_object('platform', 'facebook', 'handle', 'tap-fb-kw',
                 'api_base_url', 'https://graph.example', 'keywords', 'lumen, coffee')), 'PR422',
                 'Parley cannot search this platform for keywords: leave the keywords empty.',
                 'keywords for a platform Parley cannot search are refused, not dropped');

-- While the token's quota is spent, its streams' next run is when it comes back.
UPDATE ingest.stream SET quota_remaining = 1, quota_reset_at = now() + interval '1 hour', next_run_at = now() - interval '1 minute'
WHERE account_id = :acc AND kind = 'mentions';
SELECT is((SELECT count(*) > 0 AND bool_and((st->>'next_run_at')::timestamptz >= now() + interval '1 hour')
           FROM jsonb_array_elements(api.accounts()->'accounts') a, jsonb_array_elements(a->'streams') st
           WHERE (a->>'id')::bigint = :acc), true,
          'while a token''s quota is spent, every stream''s next run is when it comes back, not a time already past');
UPDATE ingest.stream SET quota_remaining = NULL, quota_reset_at = NULL WHERE account_id = :acc;

-- A quota figure holds until the platform's window resets.
UPDATE ingest.stream SET quota_remaining = 7, quota_reset_at = now() - interval '1 second' WHERE account_id = :acc AND kind = 'mentions';
UPDATE ingest.stream SET quota_remaining = 9, quota_reset_at = now() + interval '1 minute' WHERE account_id = :acc AND kind = 'followers';
SELECT is((SELECT string_agg(st->>'kind' || ':' || coalesce(st->>'quota_remaining', '-'), ' ' ORDER BY st->>'kind')
           FROM jsonb_array_elements(api.accounts()->'accounts') a, jsonb_array_elements(a->'streams') st
           WHERE (a->>'id')::bigint = :acc AND st->>'kind' IN ('mentions', 'followers')),
          'followers:9 mentions:9', 'the accounts page shows no quota left from a window that has reset; a token''s count is on each of its streams');
UPDATE ingest.stream SET quota_remaining = 4, quota_reset_at = now() + interval '1 minute' WHERE account_id = :acc AND kind = 'own_posts';
SELECT is((SELECT string_agg(DISTINCT st->>'quota_remaining', ' ')
           FROM jsonb_array_elements(api.accounts()->'accounts') a, jsonb_array_elements(a->'streams') st
           WHERE (a->>'id')::bigint = :acc),
          '4', '… the lowest its streams heard in the window, the latest (a stream shows no stale count of its own)');
INSERT INTO social.account (platform, handle, api_base_url) VALUES ('x', 'tap-acc-x', 'https://x.example');
INSERT INTO ingest.stream (account_id, kind, quota_remaining, quota_reset_at)
SELECT id, k, n, now() + r FROM social.account,
       (VALUES ('mentions', 3, interval '1 minute'), ('own_posts', 8, interval '1 minute'), ('followers', 5, interval '-1 second')) v(k, n, r)
WHERE handle = 'tap-acc-x';
SELECT is((SELECT string_agg(st->>'kind' || ':' || coalesce(st->>'quota_remaining', '-'), ' ' ORDER BY st->>'kind')
           FROM jsonb_array_elements(api.accounts()->'accounts') a, jsonb_array_elements(a->'streams') st
           WHERE a->>'handle' = 'tap-acc-x'),
          'followers:- mentions:3 own_posts:8', '… where each endpoint has its own window (X), each stream its own count, until it resets');
-- Meta names no reset (its usage rolls over the hour): nothing says which count is the latest.
INSERT INTO social.account (platform, handle, api_base_url) VALUES ('facebook', 'tap-acc-fb', 'https://graph.example');
INSERT INTO ingest.stream (account_id, kind, quota_remaining)
SELECT id, k, n FROM social.account, (VALUES ('mentions', 40), ('own_posts', 70)) v(k, n) WHERE handle = 'tap-acc-fb';
SELECT is((SELECT string_agg(st->>'kind' || ':' || coalesce(st->>'quota_remaining', '-'), ' ' ORDER BY st->>'kind')
           FROM jsonb_array_elements(api.accounts()->'accounts') a, jsonb_array_elements(a->'streams') st
           WHERE a->>'handle' = 'tap-acc-fb'),
          'mentions:40 own_posts:70', '… and a token whose platform names no reset shows each stream''s own');

SELECT set_config('parley.session', 'tok-tap_acc_a', true);
SELECT throws_ok(format($$SELECT api.account_edit('{"id": %s, "api_base_url": "https://x.example"}')$$, :acc), 'PR403', NULL,
                 'an agent may not edit accounts');

SELECT set_config('parley.session', 'tok-tap_acc_ad', true);
SELECT throws_ok(format($$SELECT api.webhook_secret_set(%L)$$, jsonb_build_object('id', :acc, 'secret', 'abc def')), 'PR422', NULL,
                 '… and so is a webhook secret with a space');
SELECT throws_ok(format($$SELECT api.webhook_secret_set(%L)$$, jsonb_build_object('id', :acc, 'secret', 'abc', 'aes_key', 'short')), 'PR422',
                 'The EncodingAESKey is 43 letters, digits, + or /.', 'a malformed AES key is refused by name on any account');
INSERT INTO social.account (platform, handle) VALUES ('bluesky', 'tap-acc-bsky.example');
SELECT is((SELECT count(*) FILTER (WHERE a->>'hook_path' IS NULL) || '/' || count(*) FROM jsonb_array_elements(api.accounts()->'accounts') a
           WHERE a->>'handle' IN ('tap-acc', 'tap-acc-bsky.example')), '1/2',
          'only accounts on a platform with a webhook receiver show a webhook address (Mastodon, not Bluesky)');
SELECT throws_ok(format($$SELECT api.webhook_secret_set(%L)$$, jsonb_build_object('id', (SELECT id FROM social.account WHERE handle = 'tap-acc-bsky.example'),
                 'secret', 'abc')), 'PR422', 'Parley takes no webhooks from this platform: its posts come by harvesting.',
                 '… and a webhook secret for Bluesky is refused, saying why');
INSERT INTO social.account (platform, handle) VALUES ('commerce', 'tap-acc-shop') RETURNING id AS shop \gset
SELECT throws_ok(format($$SELECT api.webhook_secret_set(%L)$$, jsonb_build_object('id', :shop, 'secret', 'Sh0pSecret-2026-long-enough-value')),
                 'PR422', 'This secret is whsec_ and then base64 of 24 to 64 bytes, as the sender shows it.',
                 'a Standard Webhooks secret that does not decode is refused (every delivery would fail)');
SELECT throws_ok(format($$SELECT api.webhook_secret_set(%L)$$, jsonb_build_object('id', :shop, 'secret', 'whsec_c2hvcnQ=')),
                 'PR422', NULL, '… and so is one of fewer than 24 bytes');
SELECT lives_ok(format($$SELECT api.webhook_secret_set(%L)$$, jsonb_build_object('id', :shop, 'secret', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')),
                '… while one as the sender shows it is taken');
SELECT * FROM finish();
ROLLBACK;
