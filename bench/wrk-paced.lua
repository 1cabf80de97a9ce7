-- wrk 4 has no fixed-rate mode (wrk2 has, but is not in Debian). This
-- script gives each wrk thread a fixed schedule, one request every
-- 1/rate seconds on a monotonic clock (LuaJIT FFI), and delay() holds
-- each request until its slot. Latency is timed by wrk from the moment the
-- request is written. Arguments: path, requests/s for this thread.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } mxlens_timespec;
int clock_gettime(int clock_id, mxlens_timespec *tp);
]]
local ts = ffi.new("mxlens_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local interval_ms, next_ms

function init(args)
  wrk.path = args[1]
  interval_ms = 1000 / tonumber(args[2])
end

function delay()
  local now = now_ms()
  if next_ms == nil then next_ms = now end
  local wait = next_ms - now
  next_ms = next_ms + interval_ms
  if wait < 0 then return 0 end
  return math.floor(wait)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d errors_connect=%d errors_read=%d errors_write=%d errors_timeout=%d errors_status=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout, e.status))
end
