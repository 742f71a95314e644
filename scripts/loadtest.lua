-- Paths for wrk, used by scripts/loadtest: `wrk -s scripts/loadtest.lua URL -- PATHS_FILE`.
-- Each connection takes the paths of PATHS_FILE (one a line) in turn, each thread starting at
-- a different one. At the end, one line "statuses {...}" gives the count of each HTTP status.

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

local paths = {}
local position = 0
statuses = {}

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
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(total) do
    parts[#parts + 1] = string.format('"%d": %d', status, count)
  end
  io.write("statuses {" .. table.concat(parts, ", ") .. "}\n")
end
