"""Messages to donors: the outbox (e-mail over SMTP, SMS through an HTTP gateway), their texts and triggers."""
