-- wrk script for benches/service-overhead.sh: POST /orders with a
-- ~0.3 KB JSON order of 8 items (the checkout example's JSON API handler).
wrk.method = "POST"
wrk.path = "/orders"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"customer_id":81723,"currency":"EUR","coupon":"WINTER10","items":['
  .. '{"sku":"SKU-00017","quantity":2},{"sku":"SKU-01234","quantity":1},'
  .. '{"sku":"SKU-04711","quantity":3},{"sku":"SKU-00999","quantity":1},'
  .. '{"sku":"SKU-07777","quantity":5},{"sku":"SKU-02048","quantity":1},'
  .. '{"sku":"SKU-09001","quantity":2},{"sku":"SKU-00042","quantity":1}]}'
