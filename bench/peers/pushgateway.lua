-- PUT the same 1,000-sample body, rotating over PUSH_GROUPS push groups (default 200).
local body = io.open(os.getenv("BODY"), "rb"):read("*a")
local groups = tonumber(os.getenv("PUSH_GROUPS") or "200")
local i = 0
request = function()
  i = i + 1
  return wrk.format("PUT", "/metrics/job/bench/instance/g" .. (i % groups),
    {["Content-Type"] = "text/plain; version=0.0.4"}, body)
end
