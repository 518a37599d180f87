"""Transactional outboxes: events written with the change they announce, then relayed."""
