-- wrk script: GET /api/v1/points/nearest from a different place on every request.
-- Deterministic: each wrk thread runs its own Park–Miller generator from a fixed seed.
-- Half the requests come from around Kyiv, half from anywhere in Ukraine's bounding box.
-- An argument after `--` is appended to the query string, e.g. `-- services=heat,power`.

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

local state = 1
local extra = ""

local function rand()
  state = (state * 16807) % 2147483647
  return state / 2147483647
end

function init(args)
  state = 7919 * (seed or 1)
  if args[1] and args[1] ~= "" then
    extra = "&" .. args[1]
  end
end

function request()
  local lat, lon
  if rand() < 0.5 then
    lat = 50.4501 + (rand() + rand() + rand() - 1.5) * 0.18
    lon = 30.5234 + (rand() + rand() + rand() - 1.5) * 0.28
  else
    lat = 44.4 + rand() * 8.0
    lon = 22.1 + rand() * 18.1
  end
  local path = string.format("/api/v1/points/nearest?lat=%.5f&lon=%.5f&k=5%s", lat, lon, extra)
  return wrk.format("GET", path)
end
