-- wrk script for bench/load.py: varied searches, and a count of every status code.
--
--   SEARCH_PATHS=paths.txt wrk -t1 -c8 -d30s --latency -s bench/search.lua http://127.0.0.1:8000
--
-- SEARCH_PATHS names a file with one request path per line ("/search?q=aa&near=97214"). Each
-- thread walks the list from its own starting point. NEW_CONNECTIONS=1 closes the connection
-- after every request, as many different visitors would. When wrk is done, one line starting with
-- "LOADTEST " carries the figures as JSON (wrk's own report counts 3xx as success and does not
-- say which statuses it saw).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  paths = {}
  local name = os.getenv("SEARCH_PATHS")
  if not name then error("set SEARCH_PATHS to a file of request paths") end
  for line in io.lines(name) do
    if #line > 0 then table.insert(paths, line) end
  end
  if #paths == 0 then error("no request paths in " .. name) end
  position = ((thread_number or 1) - 1) * 97 % #paths
  statuses = {}
  -- NEW_CONNECTIONS=1: a new connection per request, as from many different visitors.
  headers = {}
  if os.getenv("NEW_CONNECTIONS") == "1" then headers["Connection"] = "close" end
end

function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position], headers)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      merged[status] = (merged[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(merged) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  local e = summary.errors
  io.write(string.format(
    'LOADTEST {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
      .. '"max_us": %d, "statuses": {%s}, "errors": {"connect": %d, "read": %d, "write": %d, '
      .. '"timeout": %d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, table.concat(parts, ", "), e.connect, e.read, e.write,
    e.timeout))
end
