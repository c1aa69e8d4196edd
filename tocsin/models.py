"""Imports every domain's tables so that Base.metadata is complete (migrations, tests)."""

from tocsin.alerts import models as alerts_models
from tocsin.auth import models as auth_models
from tocsin.db import Base
from tocsin.engine import models as engine_models

__all__ = ["Base", "alerts_models", "auth_models", "engine_models"]
