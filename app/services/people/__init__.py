"""People and their accounts: registration and staff, SMS codes, mobile numbers, passwords, sign-ins."""
