"""Model cards, the name registry, and the carrier files behind them."""
