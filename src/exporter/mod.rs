pub mod collectors {}
