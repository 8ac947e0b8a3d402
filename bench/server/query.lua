-- wrk script for bench/server/run.py: POST one JSON body per request, rotating over a file of bodies (one per line).
-- Usage: wrk -t T -c C -d D --latency -s query.lua http://127.0.0.1:PORT -- /path/of/route bodies.jsonl
-- Each thread starts at its own offset in the file, so threads do not send the same body in lockstep.

local threads = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  local path, file = args[1], args[2]
  requests = {}
  for line in io.lines(file) do
    if #line > 0 then
      requests[#requests + 1] = wrk.format("POST", path, { ["Content-Type"] = "application/json" }, line)
    end
  end
  if #requests == 0 then
    error("no bodies in " .. file)
  end
  index = ((tid or 0) * 7919) % #requests
end

function request()
  index = index % #requests + 1
  return requests[index]
end
