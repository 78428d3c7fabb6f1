"""Customers and staff.

The user model is ours from the first migration (Django's advice: swapping it
later means rewriting every table that points at users). Other domains store a
``user_id`` integer and never join this table.
"""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    email = models.EmailField("email address", unique=True)

    def __str__(self) -> str:
        return self.email or self.username
