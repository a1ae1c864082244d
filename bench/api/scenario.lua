-- One wrk script for every scenario. run_bench.py writes the requests to a file
-- (BENCH_REQUESTS), one per line: method<TAB>path<TAB>body<TAB>header<TAB>value...
-- Requests are pre-formatted once per thread so wrk spends its (shared) CPU on
-- sending, not on building strings; each request picks a random line so the load
-- spreads over many users' tokens and note ids.

local counter = 0

function setup(thread)
  counter = counter + 1
  -- Distinct seeds: otherwise every wrk thread replays the same sequence.
  thread:set("seed", counter * 7919 + os.time())
end

local requests = {}

function init(args)
  math.randomseed(seed)
  local path = os.getenv("BENCH_REQUESTS")
  for line in io.lines(path) do
    local f = {}
    for field in (line .. "\t"):gmatch("([^\t]*)\t") do
      f[#f + 1] = field
    end
    local headers = {}
    for i = 4, #f - 1, 2 do
      headers[f[i]] = f[i + 1]
    end
    local body = nil
    if f[3] ~= "" then
      body = f[3]
      headers["Content-Type"] = "application/json"
    end
    requests[#requests + 1] = wrk.format(f[1], f[2], headers, body)
  end
  if #requests == 0 then
    error("no requests in " .. tostring(path))
  end
end

function request()
  return requests[math.random(#requests)]
end

-- BENCH_DELAY_MS: a fixed pause per connection between requests (a paced attacker
-- instead of a closed loop that would only measure how fast refusals are answered).
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if delay_ms then
  function delay()
    return delay_ms
  end
end

-- Machine-readable summary, parsed by run_bench.py (latencies in microseconds).
-- wrk counts a response as a status error when its code is >= 400.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, '
      .. '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, '
      .. '"p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
