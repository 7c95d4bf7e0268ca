//! GrowthBook-compatible targeting conditions (MongoDB-style), compiled once at config load
//! and evaluated totally against a visitor's attributes.
