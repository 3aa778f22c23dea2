//! `POST /orders`: the JSON API handler of the checkout example, shared with
//! `benches/layer.rs` (which calls it through axum in-process).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::Json;
use axum::http::StatusCode;

/// A product of the in-memory catalog `POST /orders` looks items up in.
pub struct Product {
    name: String,
    description: String,
    price_cents: u64,
    stock: u32,
}

pub type Catalog = HashMap<String, Product>;

pub fn catalog() -> Catalog {
    (0..10_000u32)
        .map(|i| {
            let p = Product {
                name: format!("Product {i}"),
                description: format!("Stainless steel item {i}, dishwasher safe, 2-year warranty, ships in 48 h"),
                price_cents: 199 + u64::from(i % 97) * 100,
                stock: i % 50,
            };
            (format!("SKU-{i:05}"), p)
        })
        .collect()
}

#[derive(serde::Deserialize)]
pub struct Order {
    customer_id: u64,
    currency: String,
    items: Vec<OrderItem>,
    coupon: Option<String>,
}

#[derive(serde::Deserialize)]
struct OrderItem {
    sku: String,
    quantity: u32,
}

#[derive(serde::Serialize)]
struct Quote<'a> {
    customer_id: u64,
    currency: &'a str,
    lines: Vec<QuoteLine<'a>>,
    subtotal_cents: u64,
    discount_cents: u64,
    tax_cents: u64,
    total_cents: u64,
}

#[derive(serde::Serialize)]
struct QuoteLine<'a> {
    sku: &'a str,
    name: &'a str,
    description: &'a str,
    quantity: u32,
    unit_price_cents: u64,
    total_cents: u64,
    in_stock: bool,
}

/// A JSON API handler: parse the order, look every item up, answer a quote.
pub async fn order(Extension(catalog): Extension<Arc<Catalog>>, Json(order): Json<Order>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut lines = Vec::with_capacity(order.items.len());
    for item in &order.items {
        let Some(p) = catalog.get(&item.sku) else {
            return (StatusCode::UNPROCESSABLE_ENTITY, format!("unknown sku {:?}\n", item.sku)).into_response();
        };
        lines.push(QuoteLine {
            sku: &item.sku,
            name: &p.name,
            description: &p.description,
            quantity: item.quantity,
            unit_price_cents: p.price_cents,
            total_cents: p.price_cents * u64::from(item.quantity),
            in_stock: p.stock >= item.quantity,
        });
    }
    let subtotal: u64 = lines.iter().map(|l| l.total_cents).sum();
    let discount = if order.coupon.is_some() { subtotal / 10 } else { 0 };
    let tax = (subtotal - discount) * 19 / 100;
    Json(Quote {
        customer_id: order.customer_id,
        currency: &order.currency,
        lines,
        subtotal_cents: subtotal,
        discount_cents: discount,
        tax_cents: tax,
        total_cents: subtotal - discount + tax,
    })
    .into_response()
}
