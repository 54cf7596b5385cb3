-- POST remote_write requests of 1,000 series that no request used before: the series carry a
-- batch label (thread and request number), so every request is new series for the receiver.
-- The body is built here: protobuf by hand (WriteRequest > TimeSeries > Label, Sample) and snappy
-- as one literal block, which every snappy decoder must accept.
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local function varint(n)
  local out = {}
  while n >= 128 do
    out[#out + 1] = string.char(n % 128 + 128)
    n = math.floor(n / 128)
  end
  out[#out + 1] = string.char(n)
  return table.concat(out)
end

local function field(number, bytes) -- length-delimited field
  return string.char(number * 8 + 2) .. varint(#bytes) .. bytes
end

local function label(name, value)
  return field(1, field(1, name) .. field(2, value))
end

function init(args)
  headers = {
    ["Content-Type"] = "application/x-protobuf",
    ["Content-Encoding"] = "snappy",
    ["X-Prometheus-Remote-Write-Version"] = "0.1.0",
  }
  n = 0
  -- value 1.0 as a little-endian double, and a timestamp of now in ms
  local sample = string.char(0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F)
    .. string.char(0x10) .. varint(os.time() * 1000)
  sampleField = field(2, sample)
  heads, tails = {}, {}
  for m = 0, 9 do
    for i = 0, 99 do
      heads[#heads + 1] = label("__name__", "bench_rw_metric_" .. m)
      tails[#tails + 1] = label("instance", "host-" .. i .. ":9100") .. label("job", "bench") .. sampleField
    end
  end
end

request = function()
  n = n + 1
  -- fixed width, so every series has the same length whatever the request number
  local batch = label("batch", string.format("t%02d-%010d", id, n))
  local series = {}
  for k = 1, #heads do
    local ts = heads[k] .. batch .. tails[k]
    series[k] = string.char(0x0A) .. varint(#ts) .. ts
  end
  local proto = table.concat(series)
  local len = #proto
  -- snappy: uncompressed length, then one literal of len bytes (tag 62<<2: 3-byte length - 1)
  local l = len - 1
  local body = varint(len) .. string.char(0xF8, l % 256, math.floor(l / 256) % 256,
    math.floor(l / 65536) % 256) .. proto
  return wrk.format("POST", "/api/v1/write", headers, body)
end
