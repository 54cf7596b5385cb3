-- POST the snappy WriteRequests in the files named by BODIES (space-separated), in turn, over and
-- over: the steady state, where the receiver knows every series already.
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  bodies = {}
  for path in string.gmatch(os.getenv("BODIES"), "%S+") do
    bodies[#bodies + 1] = io.open(path, "rb"):read("*a")
  end
  i = id
  headers = {
    ["Content-Type"] = "application/x-protobuf",
    ["Content-Encoding"] = "snappy",
    ["X-Prometheus-Remote-Write-Version"] = "0.1.0",
  }
end

request = function()
  i = i + 1
  return wrk.format("POST", "/api/v1/write", headers, bodies[(i % #bodies) + 1])
end
