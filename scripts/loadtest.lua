-- Paths for wrk, used by scripts/loadtest: `wrk -s scripts/loadtest.lua URL -- PATHS_FILE`.
-- Each connection takes the paths of PATHS_FILE (one a line) in turn, each thread starting at
-- a different one. With CITYNET_LOADTEST_PORTS=8001,8002 (several app servers on 127.0.0.1),
-- the threads take the ports in turn, each keeping to one; every request still names URL's
-- host, as requests that reach several servers through one proxy do. At the end, one line
-- "statuses {...}" gives the count of each HTTP status, and "servers {...}" the responses
-- each port gave.

local threads = {}
local next_id = 0
local ports = {}
for port in string.gmatch(os.getenv("CITYNET_LOADTEST_PORTS") or "", "%d+") do
  ports[#ports + 1] = port
end

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  if #ports > 0 then
    local port = ports[(next_id - 1) % #ports + 1]
    thread.addr = wrk.lookup("127.0.0.1", port)[1]
    thread:set("port", port)
  end
  table.insert(threads, thread)
end

local paths = {}
local position = 0
statuses = {}
responses = 0

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  position = (id * 7) % #paths
end

-- As browsers and HTTP libraries do: large cached bodies are then sent as they are kept, gzipped.
local headers = { ["Accept-Encoding"] = "gzip, deflate" }

function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position], headers)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  responses = responses + 1
end

local function json_counts(counts, format)
  local parts = {}
  for key, count in pairs(counts) do
    parts[#parts + 1] = string.format(format, key, count)
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
  local total = {}
  local per_server = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
    local port = thread:get("port") or "default"
    per_server[port] = (per_server[port] or 0) + thread:get("responses")
  end
  io.write("statuses " .. json_counts(total, '"%d": %d') .. "\n")
  io.write("servers " .. json_counts(per_server, '"%s": %d') .. "\n")
end
