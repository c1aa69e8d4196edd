"""Email to alert: each EMAIL alert source has the address <integration key>@<TOCSIN_EMAIL_DOMAIN>.

``options`` validates a source's email settings, ``message`` reads a raw email, ``mapping`` decides
what it means (alert, resolve), ``delivery`` ingests it in one transaction, ``server`` speaks SMTP.
"""
