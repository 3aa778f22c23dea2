-- wrk script for benches/service-overhead.sh (run from the repository root):
-- POST /orders with a ~0.3 KB JSON order of 8 items (the checkout example's
-- JSON API handler). The body is the one benches/layer.rs sends in-process.
local f = assert(io.open("crates/genmon-service/benches/order.json", "r"))
local body = f:read("*a"):gsub("%s+$", "")
f:close()
wrk.method = "POST"
wrk.path = "/orders"
wrk.headers["Content-Type"] = "application/json"
wrk.body = body
