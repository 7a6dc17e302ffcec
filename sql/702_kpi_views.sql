-- KPI views for BI tools: dimensions, live views over cases, and views over
-- the rollup tables. Views run with the owner's rights; they call no
-- function outside pg_catalog, so parley_bi needs nothing beyond SELECT in kpi.
DROP VIEW IF EXISTS kpi.account, kpi.rule, kpi.team, kpi.agent, kpi.follower_growth, kpi.post_engagement,
  kpi.sla_breaches, kpi.backlog, kpi.lead_conversion;

CREATE VIEW kpi.account AS
  SELECT id AS account_id, platform, handle, display_name FROM social.account;
CREATE VIEW kpi.rule AS
  SELECT id AS rule_id, name, category, enabled FROM listen.rule;
CREATE VIEW kpi.team AS
  SELECT id AS team_id, name FROM crm.team;
CREATE VIEW kpi.agent AS
  SELECT id AS agent_id, display_name FROM auth.staff;

CREATE VIEW kpi.follower_growth AS
  SELECT day, account_id, new_followers,
         sum(new_followers) OVER (PARTITION BY account_id ORDER BY day) AS followers_seen,
         lost_followers,
         sum(new_followers - lost_followers) OVER (PARTITION BY account_id ORDER BY day) AS followers_net
  FROM kpi.follower_daily;

-- Own posts with their latest counts; the rate is per follower of the account.
CREATE VIEW kpi.post_engagement AS
  SELECT p.id AS post_id, p.account_id, p.platform, (p.created_at AT TIME ZONE fr.tz)::date AS day, p.created_at,
         n.likes, n.reposts, n.replies, n.quotes, n.likes + n.reposts + n.replies + n.quotes AS engagements,
         fl.followers,
         round((n.likes + n.reposts + n.replies + n.quotes)::numeric / nullif(fl.followers, 0), 6) AS engagement_rate
  FROM social.post p
  JOIN social.own_profile o ON o.id = p.author_id AND o.account_id = p.account_id
  JOIN social.profile pr ON pr.id = o.id
  CROSS JOIN kpi.freshness fr
  LEFT JOIN LATERAL (SELECT s.likes, s.reposts, s.replies, s.quotes FROM social.engagement_snapshot s
                     WHERE s.post_id = p.id ORDER BY s.taken_at DESC LIMIT 1) s ON true
  CROSS JOIN LATERAL (SELECT coalesce(s.likes, (p.metrics->>'likes')::bigint, 0) AS likes,
                             coalesce(s.reposts, (p.metrics->>'reposts')::bigint, 0) AS reposts,
                             coalesce(s.replies, (p.metrics->>'replies')::bigint, 0) AS replies,
                             coalesce(s.quotes, (p.metrics->>'quotes')::bigint, 0) AS quotes) n
  CROSS JOIN LATERAL (SELECT coalesce(pr.follower_count,
                                      (SELECT count(*) FROM social.follower_edge e WHERE e.account_id = p.account_id AND e.unfollowed_at IS NULL)) AS followers) fl
  WHERE p.deleted_at IS NULL;

-- Cases by the day they were opened, team and agent. A target counts as
-- breached as crm.case_fact says: recorded by the breach marker, or missed
-- by the time of the answer, the close, or now; a first response by the
-- time the case was resolved, if earlier. (Written out, not read from
-- crm.case_fact: that view calls crm functions parley_bi may not run.)
CREATE VIEW kpi.sla_breaches AS
  SELECT (c.created_at AT TIME ZONE fr.tz)::date AS day, c.team_id, c.assignee_id AS agent_id,
         count(*) AS cases,
         count(*) FILTER (WHERE c.first_response_breached_at IS NOT NULL
                             OR coalesce(least(c.first_response_at, c.resolved_at), c.closed_at, now()) > c.first_response_due_at) AS first_response_breaches,
         count(*) FILTER (WHERE c.resolution_breached_at IS NOT NULL
                             OR coalesce(c.resolved_at, c.closed_at, now()) > c.resolution_due_at) AS resolution_breaches
  FROM crm."case" c CROSS JOIN kpi.freshness fr
  GROUP BY 1, 2, 3;

-- Open cases (new, open, pending) now, by team, agent and age.
CREATE VIEW kpi.backlog AS
  SELECT c.team_id, c.assignee_id AS agent_id, b.bucket, b.ord AS bucket_order, count(*) AS open_cases,
         min(c.created_at) AS oldest_created_at
  FROM crm."case" c
  CROSS JOIN LATERAL (SELECT CASE WHEN now() - c.created_at < interval '1 hour' THEN 1
                                  WHEN now() - c.created_at < interval '4 hours' THEN 2
                                  WHEN now() - c.created_at < interval '1 day' THEN 3
                                  WHEN now() - c.created_at < interval '3 days' THEN 4
                                  WHEN now() - c.created_at < interval '7 days' THEN 5
                                  ELSE 6 END AS ord) o
  CROSS JOIN LATERAL (SELECT o.ord, (ARRAY['<1h', '1-4h', '4-24h', '1-3d', '3-7d', '>7d'])[o.ord] AS bucket) b
  WHERE c.state IN ('new', 'open', 'pending')
  GROUP BY c.team_id, c.assignee_id, b.bucket, b.ord;

CREATE VIEW kpi.lead_conversion AS
  SELECT rule_id, account_id, sum(mentions) AS mentions, sum(leads) AS leads, sum(qualified) AS qualified,
         sum(won) AS won, sum(lost) AS lost, sum(won_value) AS won_value,
         round(sum(leads) / nullif(sum(mentions), 0), 4) AS lead_rate,
         round(sum(won) / nullif(sum(leads), 0), 4) AS win_rate
  FROM kpi.lead_daily GROUP BY rule_id, account_id;

COMMENT ON TABLE kpi.freshness IS 'Refresh state. Grain: one row. tz: the time zone days are counted in; refreshed_at: start of the last kpi.refresh(); days: days recomputed; millis: its duration in ms.';
COMMENT ON TABLE kpi.mention_fact IS 'Inbound mentions (not by own accounts, not reposts, not deleted). Grain: one post. Times in seconds (calendar; business on the case''s SLA calendar, else the default one).';
COMMENT ON TABLE kpi.volume_daily IS 'Volume. Grain: day x account x platform x category (rule category, none, or all = every mention once). Unit: counts of mentions, own posts and interactions (the two latter only under category all).';
COMMENT ON TABLE kpi.response_daily IS 'Brand response. Grain: day of the mention x account x platform. Units: counts; response_rate 0..1; *_s seconds (median, 90th percentile; business = within business hours).';
COMMENT ON TABLE kpi.sentiment_daily IS 'Sentiment trend. Grain: day. Units: counts of mentions by label; mean_score -1..1; complaint_share 0..1 of all mentions.';
COMMENT ON TABLE kpi.share_of_voice_daily IS 'Share of voice. Grain: day x brand or competitor rule. Unit: matched mentions; share 0..1 of (brand-category mentions + all competitor matches).';
COMMENT ON TABLE kpi.follower_daily IS 'Follower growth. Grain: day x account. Units: followers first seen that day, follows that ended that day.';
COMMENT ON TABLE kpi.engagement_daily IS 'Engagement per account. Grain: day the own post was published x account. Units: posts, engagements (likes+reposts+replies+quotes, latest counts), followers now; engagement_rate = engagements per post per follower.';
COMMENT ON TABLE kpi.lead_daily IS 'Lead funnel. Grain: day of the mention x rule x account. Units: matched mentions, leads, qualified, won, lost (counts), won_value (lead currency).';
COMMENT ON VIEW kpi.account IS 'Dimension: brand accounts. Grain: account.';
COMMENT ON VIEW kpi.rule IS 'Dimension: listening rules. Grain: rule.';
COMMENT ON VIEW kpi.team IS 'Dimension: teams. Grain: team.';
COMMENT ON VIEW kpi.agent IS 'Dimension: staff (display names only). Grain: staff member.';
COMMENT ON VIEW kpi.follower_growth IS 'Follower growth. Grain: day x account. Units: new followers that day, cumulative followers seen, '
  'followers lost that day (unfollows where the platform tells), cumulative net followers.';
COMMENT ON VIEW kpi.post_engagement IS 'Engagement per own post (live). Grain: post. Units: counts; engagement_rate = engagements per follower of the account.';
COMMENT ON VIEW kpi.sla_breaches IS 'SLA breaches (live). Grain: day the case opened x team x agent. Unit: cases.';
COMMENT ON VIEW kpi.backlog IS 'Open-case backlog (live, now). Grain: team x agent x age bucket. Unit: cases.';
COMMENT ON VIEW kpi.lead_conversion IS 'Lead conversion, all time. Grain: rule x account. Units: counts; lead_rate = leads/mentions, win_rate = won/leads.';

-- Views re-created on deploy keep parley_bi's SELECT through 0001's default
-- privileges; granted again here in case a deploy runs as another role.
GRANT SELECT ON ALL TABLES IN SCHEMA kpi TO parley_bi;
