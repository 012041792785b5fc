"""Planning: the seasonal sales forecast, purchase suggestions and supplier evaluation."""
