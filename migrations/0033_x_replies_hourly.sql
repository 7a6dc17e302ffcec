-- X's replies walk is hourly too. Each thread costs a recent-search request,
-- and X allows a user 60 of those in 15 minutes, shared with the keyword
-- search streams: 50 threads every 5 minutes was 150, so the walk and the
-- searches were refused in turn. A reply on X keeps the @ of the people it
-- answers, so the mentions stream brings the new replies under the brand's
-- posts meanwhile; a new own post still makes the walk due at once.
UPDATE social.platform SET replies_every = interval '1 hour' WHERE code = 'x';
UPDATE ingest.stream s SET every = interval '1 hour'
FROM social.account a
WHERE a.id = s.account_id AND a.platform = 'x' AND s.kind = 'replies' AND s.every = interval '5 minutes';
