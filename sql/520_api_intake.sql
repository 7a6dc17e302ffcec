-- The webhook intake page: what arrived in the last 24 hours per platform,
-- the latest deliveries with their processing state, the latest rejections.
CREATE FUNCTION api.intake(p jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE since timestamptz := now() - interval '24 hours';
BEGIN
  PERFORM auth.require('marketer', 'analyst');
  RETURN jsonb_build_object(
    'platforms', coalesce((
      SELECT jsonb_agg(jsonb_build_object('platform', pl.code, 'platform_name', pl.name,
                                          'accepted', d.accepted, 'redeliveries', d.redeliveries,
                                          'pending', d.pending, 'failed', d.failed,
                                          'rejected', coalesce(r.rejected, 0)) ORDER BY pl.name)
      FROM social.platform pl
      LEFT JOIN LATERAL (
        SELECT count(*) AS accepted, coalesce(sum(w.redeliveries), 0) AS redeliveries,
               count(*) FILTER (WHERE w.processed_at IS NULL) AS pending,
               count(*) FILTER (WHERE w.error IS NOT NULL) AS failed
        FROM ingest.webhook_inbox w WHERE w.platform = pl.code AND w.received_at >= since) d ON true
      LEFT JOIN LATERAL (
        SELECT count(*) AS rejected FROM ingest.webhook_rejection j
        WHERE j.platform = pl.code AND j.at >= since) r ON true
      WHERE d.accepted > 0 OR r.rejected > 0), '[]'),
    'rejections_by_reason', coalesce((
      SELECT jsonb_agg(jsonb_build_object('status', status, 'reason', reason, 'count', n) ORDER BY n DESC, reason)
      FROM (SELECT status, reason, count(*) AS n FROM ingest.webhook_rejection
            WHERE at >= since GROUP BY status, reason) x), '[]'),
    'deliveries', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
        'id', w.id, 'received_at', w.received_at, 'platform', w.platform, 'account', a.handle,
        'delivery_id', w.delivery_id, 'redeliveries', w.redeliveries, 'bytes', octet_length(w.body),
        'pending', w.processed_at IS NULL, 'failed', w.error IS NOT NULL, 'error', w.error) ORDER BY w.id DESC)
      FROM (SELECT * FROM ingest.webhook_inbox ORDER BY id DESC LIMIT 50) w
      JOIN social.account a ON a.id = w.account_id), '[]'),
    'rejections', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
        'at', j.at, 'platform', j.platform, 'account_ref', j.account_ref, 'status', j.status,
        'reason', j.reason, 'remote_addr', host(j.remote_addr)) ORDER BY j.id DESC)
      FROM (SELECT * FROM ingest.webhook_rejection ORDER BY id DESC LIMIT 50) j), '[]'));
END $$;
