"""The JSON API: points and their reports, feeds, accounts, places, the SMS webhooks."""
