-- wrk reporter for bench/*.sh: one RESULT line. errors: socket errors and
-- timeouts plus answers with a status of 400 or more (wrk's own count).
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50=%.2f p99=%.2f errors=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status,
    summary.requests))
end
