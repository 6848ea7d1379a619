"""Planning a day: the one problem builder, the day's plan, editing, re-plan, horizon, forecast, regions."""
