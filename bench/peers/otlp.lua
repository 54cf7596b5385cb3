-- POST the OTLP ExportMetricsServiceRequest (protobuf) in the file BODY over and over.
function init(args)
  body = io.open(os.getenv("BODY"), "rb"):read("*a")
  headers = { ["Content-Type"] = "application/x-protobuf" }
end

request = function()
  return wrk.format("POST", "/v1/metrics", headers, body)
end
