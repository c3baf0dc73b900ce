"""The loopback SMS gateway and mail sink of the notification tests, for the delivery metrics."""
from tests.notifications.conftest import deliver, gateway_settings, sms_gateway, smtp_sink  # noqa: F401
