__voice_greetings_delivered__.add(1, {"tenant.id": __tenant_id__})
