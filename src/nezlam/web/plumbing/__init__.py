"""What every route shares: state, who is asking, forms, rendering, errors and middleware."""
