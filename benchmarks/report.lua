-- wrk script: POST a status report per request, round-robin over the benchmark's points, each
-- with its own Idempotency-Key, so every answered request stores one report.
-- Arguments after `--`: API token, number of points, a tag that makes the keys unique per run.

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local counter = 0
local token = ""
local points = 200
local tag = "run"

function init(args)
  token = args[1] or ""
  points = tonumber(args[2]) or 200
  tag = args[3] or "run"
end

function request()
  counter = counter + 1
  local n = (counter * 7 + (tid or 1) * 101) % points + 1
  local path = string.format("/api/v1/points/b-%06d/reports", n)
  local body = string.format('{"status":"open","occupancy":%d}', counter % 50)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = string.format("%s-%d-%d", tag, tid or 1, counter),
  }
  return wrk.format("POST", path, headers, body)
end
