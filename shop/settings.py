"""Settings for every environment, read from the process environment.

Development works with no environment at all; production is declared by
``DEBUG=0`` and then refuses to start on anything that is only safe locally
(the development secret key, a missing ``ALLOWED_HOSTS``).
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SHOP_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"  # noqa: S105 (refused when DEBUG is off)

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])

if not DEBUG:
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "DEBUG is off but SECRET_KEY is the development key (or shorter than 32 characters): "
            "set SECRET_KEY to a long random value."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DEBUG is off: set ALLOWED_HOSTS to the store's host names.")
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "shop.core.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files served by us, so /api/v1/docs/ works offline
    "treebeard",
    "shop.core",
    "shop.accounts",
    "shop.catalog",
    "rest_framework.authtoken",
    "shop.inventory",
    "shop.cart",
    "shop.orders",
    "shop.checkout",
    "shop.reviews",
    "shop.payments",
    "shop.recs",
    "django_elasticsearch_dsl",
    "shop.search",
]

AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "shop.payments.middleware.RejectCardDataMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shop.recs.middleware.VisitorMiddleware",
]

ROOT_URLCONF = "shop.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "shop" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shop.cart.context_processors.mini_cart",
            ],
        },
    },
]

WSGI_APPLICATION = "shop.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shop")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "shop",
        "TIMEOUT": 3600,
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "shop.core.api.exception_handler",
    # Token first: its WWW-Authenticate header makes an anonymous request to a protected
    # endpoint a 401 (a 403 with session auth first). Session auth (with CSRF) is the web's.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",  # the mobile apps (shop.accounts)
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "shop.core.schema.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

# Celery: Redis is the broker; results are not stored (state lives in Postgres).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "relay-outbox": {"task": "shop.core.tasks.relay_outbox", "schedule": 1.0},
    "prune-outbox": {"task": "shop.core.tasks.prune_outbox", "schedule": 3600.0},
}

# The outbox keeps relayed events (and consumers their dedup marks) this long.
OUTBOX_RETENTION_DAYS = int(os.environ.get("OUTBOX_RETENTION_DAYS", "7"))

# The store's currency (the demo catalog is priced in Indian rupees).
DEFAULT_CURRENCY = os.environ.get("DEFAULT_CURRENCY", "INR")

# Real public data sets (demo catalog, evaluation sets), read in place, never copied.
SHARED_DATA_DIR = Path(os.environ.get("SHOP_SHARED_DATA", BASE_DIR.parent / "shared" / "data"))

# HTTP caching of public catalog reads: browsers and the CDN.
CATALOG_MAX_AGE = int(os.environ.get("CATALOG_MAX_AGE", "60"))
CATALOG_S_MAXAGE = int(os.environ.get("CATALOG_S_MAXAGE", "300"))

# Payments (Stripe or the local emulator). Keys come from the environment only.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")  # empty: the real Stripe
if DEBUG and not STRIPE_SECRET_KEY:
    # Development without keys: the local emulator (`python -m payments_emulator`, started by
    # `make run`) and its fixed development keys, which only the emulator accepts.
    STRIPE_SECRET_KEY = "sk_test_emulator"  # noqa: S105 (not a secret: valid only in the emulator)
    STRIPE_PUBLISHABLE_KEY = STRIPE_PUBLISHABLE_KEY or "pk_test_emulator"
    STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET or "whsec_emulator_development_only"
    STRIPE_API_BASE = STRIPE_API_BASE or "http://127.0.0.1:12111"
STRIPE_TIMEOUT = float(os.environ.get("STRIPE_TIMEOUT", "20"))  # seconds per request
STRIPE_MAX_NETWORK_RETRIES = int(os.environ.get("STRIPE_MAX_NETWORK_RETRIES", "2"))  # same idempotency key
STRIPE_WEBHOOK_TOLERANCE = int(os.environ.get("STRIPE_WEBHOOK_TOLERANCE", "300"))  # older signatures: replays
# Idempotency keys are "<prefix>:<reference>:<operation>"; give each installation sharing one
# Stripe account its own prefix, or one store's checkout-1 would replay another's.
PAYMENTS_IDEMPOTENCY_PREFIX = os.environ.get("PAYMENTS_IDEMPOTENCY_PREFIX", "shop")
# Stripe forgets idempotency keys after 24 hours; an interrupted call older than this is not replayed.
PAYMENTS_REPLAY_WINDOW_HOURS = int(os.environ.get("PAYMENTS_REPLAY_WINDOW_HOURS", "23"))
# Ask for multicapture (one capture per shipment); Stripe grants it only to some accounts and cards.
PAYMENTS_REQUEST_MULTICAPTURE = env_bool("PAYMENTS_REQUEST_MULTICAPTURE", True)

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "shop@localhost")

# Reviews: the fraud gate's text model files (`manage.py train_review_model`); the
# database row marked current names the version every process loads.
REVIEWS_FRAUD_MODEL_DIR = Path(os.environ.get("REVIEWS_FRAUD_MODEL_DIR", VAR_DIR / "models" / "reviews"))
CELERY_BEAT_SCHEDULE["reviews-requeue-pending"] = {
    "task": "shop.reviews.tasks.requeue_pending_reviews",
    "schedule": 60.0,
}

# Orders lifecycle, fulfillment and notifications (shop.orders, shop.fulfillment,
# shop.notifications, shop.analytics; docs/orders.md)
INSTALLED_APPS += ["shop.fulfillment", "shop.notifications", "shop.analytics"]
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")  # links in emails
ORDERS_RETURN_WINDOW_DAYS = int(os.environ.get("ORDERS_RETURN_WINDOW_DAYS", "30"))  # staff may override in the admin
ORDERS_REFUND_MAX_ATTEMPTS = int(os.environ.get("ORDERS_REFUND_MAX_ATTEMPTS", "5"))
FULFILLMENT_WAREHOUSE_ADAPTERS = {"simulated": "shop.fulfillment.simulated_warehouse.SimulatedWarehouse"}
FULFILLMENT_DEFAULT_WAREHOUSE_ADAPTER = os.environ.get("FULFILLMENT_DEFAULT_WAREHOUSE_ADAPTER", "simulated")
FULFILLMENT_CARRIERS = {"simex": "shop.fulfillment.simulated_carrier.SimulatedCarrier"}
FULFILLMENT_DEFAULT_CARRIER = os.environ.get("FULFILLMENT_DEFAULT_CARRIER", "simex")
FULFILLMENT_DEFAULT_SHIP_FROM = {
    "name": "Shop fulfilment centre",
    "line1": "Plot 12, Logistics Park",
    "city": "Bhiwandi",
    "region": "MH",
    "postcode": "421302",
    "country": "IN",
}
FULFILLMENT_CAPTURE_MAX_RETRIES = int(os.environ.get("FULFILLMENT_CAPTURE_MAX_RETRIES", "8"))
FULFILLMENT_WEBHOOK_TOLERANCE = int(os.environ.get("FULFILLMENT_WEBHOOK_TOLERANCE", "300"))  # older: a replay
# The simulated warehouse and carrier: delays (seconds) between their steps.
FULFILLMENT_SIMULATION_AUTOPLAY = env_bool("FULFILLMENT_SIMULATION_AUTOPLAY", True)
FULFILLMENT_SIM_PICK_SECONDS = float(os.environ.get("FULFILLMENT_SIM_PICK_SECONDS", "5"))
FULFILLMENT_SIM_PACK_SECONDS = float(os.environ.get("FULFILLMENT_SIM_PACK_SECONDS", "5"))
FULFILLMENT_SIM_HANDOVER_SECONDS = float(os.environ.get("FULFILLMENT_SIM_HANDOVER_SECONDS", "5"))
FULFILLMENT_SIM_TRANSIT_SECONDS = float(os.environ.get("FULFILLMENT_SIM_TRANSIT_SECONDS", "10"))
FULFILLMENT_SIM_RETURN_SECONDS = float(os.environ.get("FULFILLMENT_SIM_RETURN_SECONDS", "20"))
FULFILLMENT_SIM_SHIPPER_NUMBER = "SHOP01"
FULFILLMENT_SIM_WEBHOOK_SECRET = os.environ.get(
    "FULFILLMENT_SIM_WEBHOOK_SECRET",
    "whsec_simex_development_only" if DEBUG else "",  # development only; unset refuses the webhooks
)
FULFILLMENT_SIM_WEBHOOK_URL = os.environ.get("FULFILLMENT_SIM_WEBHOOK_URL", "")  # empty: delivered in-process
NOTIFICATIONS_STAFF_EMAILS = env_list("NOTIFICATIONS_STAFF_EMAILS", ["staff@localhost"])
NOTIFICATIONS_STORE_NAME = os.environ.get("NOTIFICATIONS_STORE_NAME", "Shop")
NOTIFICATIONS_DOMAIN = os.environ.get("NOTIFICATIONS_DOMAIN", "shop.localhost")  # in Message-IDs
CELERY_BEAT_SCHEDULE["orders-resume-refunds"] = {"task": "shop.orders.tasks.resume_refunds", "schedule": 30.0}
CELERY_BEAT_SCHEDULE["notifications-resend-pending"] = {
    "task": "shop.notifications.tasks.resend_pending",
    "schedule": 60.0,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Inventory (shop.inventory, docs/inventory.md)
# How reserve() guards stock rows: "pessimistic" (SELECT ... FOR UPDATE in sku order)
# or "optimistic" (compare-and-swap on the row version, retried with jittered backoff).
INVENTORY_LOCKING = os.environ.get("INVENTORY_LOCKING", "pessimistic")
INVENTORY_CAS_MAX_ATTEMPTS = int(os.environ.get("INVENTORY_CAS_MAX_ATTEMPTS", "40"))
INVENTORY_HOLD_TTL_SECONDS = int(os.environ.get("INVENTORY_HOLD_TTL_SECONDS", "900"))
INVENTORY_MAX_HOLD_TTL_SECONDS = int(os.environ.get("INVENTORY_MAX_HOLD_TTL_SECONDS", "86400"))
# A SKU with this many units available or fewer (but some) is "low stock".
INVENTORY_LOW_STOCK_THRESHOLD = int(os.environ.get("INVENTORY_LOW_STOCK_THRESHOLD", "5"))
INVENTORY_SWEEP_INTERVAL_SECONDS = float(os.environ.get("INVENTORY_SWEEP_INTERVAL_SECONDS", "2"))
CELERY_BEAT_SCHEDULE["inventory-release-expired-holds"] = {
    "task": "shop.inventory.tasks.release_expired_holds",
    "schedule": INVENTORY_SWEEP_INTERVAL_SECONDS,
    "options": {"expires": INVENTORY_SWEEP_INTERVAL_SECONDS * 5},  # a backlog of sweeps is pointless
}
INVENTORY_HOLD_RETENTION_DAYS = int(os.environ.get("INVENTORY_HOLD_RETENTION_DAYS", "30"))
CELERY_BEAT_SCHEDULE["inventory-prune-closed-holds"] = {
    "task": "shop.inventory.tasks.prune_closed_holds",
    "schedule": 24 * 3600.0,
}

# Cart (shop.cart, docs/cart.md)
CART_GUEST_TTL_SECONDS = int(os.environ.get("CART_GUEST_TTL_SECONDS", str(7 * 24 * 3600)))
CART_CACHE_TTL_SECONDS = int(os.environ.get("CART_CACHE_TTL_SECONDS", str(24 * 3600)))
CART_MAX_QUANTITY_PER_LINE = int(os.environ.get("CART_MAX_QUANTITY_PER_LINE", "10"))
CART_MAX_LINES = int(os.environ.get("CART_MAX_LINES", "50"))
CART_COOKIE_NAME = "cart_token"

# Accounts (shop.accounts)
AUTHENTICATION_BACKENDS = ["shop.accounts.backends.EmailOrUsernameBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "catalog:home"
LOGOUT_REDIRECT_URL = "catalog:home"
ACCOUNTS_MAX_ADDRESSES = int(os.environ.get("ACCOUNTS_MAX_ADDRESSES", "20"))
# Recommendations (shop.recs; docs/recs.md). Weights and lengths are tuning knobs;
# staff-editable rules (consumable categories) are a table in the admin.
from celery.schedules import crontab  # noqa: E402

RECS_WEIGHTS = {"view": 1.0, "add_to_cart": 4.0, "purchase": 8.0}  # confidence each signal adds
RECS_VIEW_CAP = 5  # views of one product by one visitor count at most this many times
RECS_TRAINING_WINDOW_DAYS = int(os.environ.get("RECS_TRAINING_WINDOW_DAYS", "365"))
RECS_POPULAR_DAYS = 30  # "popular right now" looks at this many recent days
RECS_RETENTION_DAYS = {"view": 180, "add_to_cart": 365, "purchase": 730}  # then the log row is pruned
RECS_ALS = {"factors": 200, "regularization": 20.0, "iterations": 30, "alpha": 0.5, "weighting": "bm25", "bm25_b": 0.5}
RECS_RELATED_SOURCE = "cooc"  # "cooc" (co-occurrence) or "als" (item factors); cooc won on held-out baskets
RECS_USER_LIST_LENGTH = 50  # precomputed per customer (room for request-time filtering)
RECS_RELATED_LIST_LENGTH = 30  # precomputed per product
RECS_POPULAR_LIST_LENGTH = 100
RECS_JUST_BOUGHT_DAYS = 90  # a non-consumable bought this recently is not recommended again
RECS_STALE_AFTER_HOURS = 48  # an older model is still served, with a warning in the log
RECS_CONTEXT_WEIGHT = 1.5  # how much this session's recent views count against the long-term list
RECS_KEEP_VERSIONS = 3  # model versions kept in PostgreSQL (the active one and rollbacks)
RECS_VISITOR_COOKIE = "shop_vid"
RECS_TRAINING_HOUR = int(os.environ.get("RECS_TRAINING_HOUR", "3"))
CELERY_BEAT_SCHEDULE.update(
    {
        "recs-train": {
            "task": "shop.recs.tasks.train_model",
            "schedule": crontab(hour=RECS_TRAINING_HOUR, minute=15),
        },
        "recs-ensure-loaded": {"task": "shop.recs.tasks.ensure_loaded", "schedule": 60.0},
        "recs-flush-views": {"task": "shop.recs.tasks.flush_views", "schedule": 5.0},
        "recs-prune": {"task": "shop.recs.tasks.prune_interactions", "schedule": crontab(hour=4, minute=45)},
    }
)
# Search: PostgreSQL full text by default; Elasticsearch when ELASTICSEARCH_URL is set.
# django-elasticsearch-dsl is only used for its index/document definitions: its
# model-signal syncing is off, the search projection indexes explicitly.
ELASTICSEARCH_DSL = {"default": {"hosts": ELASTICSEARCH_URL or "http://127.0.0.1:9200"}}
ELASTICSEARCH_DSL_AUTOSYNC = False
ELASTICSEARCH_DSL_AUTO_REFRESH = False
ELASTICSEARCH_DSL_SIGNAL_PROCESSOR = "django_elasticsearch_dsl.signals.BaseSignalProcessor"
SEARCH_INDEX_NAME = os.environ.get("SEARCH_INDEX_NAME", "shop-products")
SEARCH_MODEL_DIR = Path(os.environ.get("SEARCH_MODEL_DIR", VAR_DIR / "search-models"))
CELERY_BEAT_SCHEDULE["search-process-logs"] = {"task": "shop.search.tasks.process_logs", "schedule": 30.0}
CELERY_BEAT_SCHEDULE["search-refresh-dictionaries"] = {
    "task": "shop.search.tasks.refresh_dictionaries",
    "schedule": float(os.environ.get("SEARCH_DICTIONARY_REFRESH_SECONDS", "300")),
}
CELERY_BEAT_SCHEDULE["search-prune-logs"] = {"task": "shop.search.tasks.prune_logs", "schedule": 86400.0}
SEARCH_LOG_RETENTION_DAYS = int(os.environ.get("SEARCH_LOG_RETENTION_DAYS", "180"))

# Checkout (shop.checkout, docs/checkout.md)
# A worker owns a running checkout saga for CHECKOUT_LEASE_SECONDS (renewed between steps); a
# saga whose worker died is resumed by the beat task once its lease has run out and it has been
# idle CHECKOUT_STUCK_AFTER_SECONDS. A step that errors is retried with exponential backoff
# (CHECKOUT_RETRY_BASE_SECONDS doubling, at most CHECKOUT_RETRY_MAX_SECONDS) up to
# CHECKOUT_MAX_ATTEMPTS times, then the checkout is compensated; so is one still unfinished
# CHECKOUT_DEADLINE_SECONDS after it was placed. Stock is held for CHECKOUT_HOLD_TTL_SECONDS,
# longer than the deadline, so a hold never expires under a checkout that may still commit it.
CHECKOUT_LEASE_SECONDS = int(os.environ.get("CHECKOUT_LEASE_SECONDS", "30"))
CHECKOUT_STUCK_AFTER_SECONDS = int(os.environ.get("CHECKOUT_STUCK_AFTER_SECONDS", "10"))
CHECKOUT_MAX_ATTEMPTS = int(os.environ.get("CHECKOUT_MAX_ATTEMPTS", "6"))
CHECKOUT_RETRY_BASE_SECONDS = float(os.environ.get("CHECKOUT_RETRY_BASE_SECONDS", "1"))
CHECKOUT_RETRY_MAX_SECONDS = float(os.environ.get("CHECKOUT_RETRY_MAX_SECONDS", "60"))
CHECKOUT_DEADLINE_SECONDS = int(os.environ.get("CHECKOUT_DEADLINE_SECONDS", "600"))
CHECKOUT_HOLD_TTL_SECONDS = int(os.environ.get("CHECKOUT_HOLD_TTL_SECONDS", "900"))
CHECKOUT_RESUME_INTERVAL_SECONDS = float(os.environ.get("CHECKOUT_RESUME_INTERVAL_SECONDS", "5"))
if CHECKOUT_HOLD_TTL_SECONDS <= CHECKOUT_DEADLINE_SECONDS + CHECKOUT_LEASE_SECONDS:
    raise ImproperlyConfigured(
        "CHECKOUT_HOLD_TTL_SECONDS must exceed CHECKOUT_DEADLINE_SECONDS + CHECKOUT_LEASE_SECONDS: "
        "a stock hold must outlive any checkout that may still commit it."
    )
# Sagas get a queue of their own: a plain `celery worker` consumes every queue listed here, and
# Redis alternates between them, so a checkout never waits behind a backlog of event deliveries.
CELERY_TASK_QUEUES = (Queue(CELERY_TASK_DEFAULT_QUEUE), Queue("checkout"))
CELERY_TASK_ROUTES = {"shop.checkout.tasks.*": {"queue": "checkout"}}
CELERY_BEAT_SCHEDULE["checkout-resume-stuck"] = {
    "task": "shop.checkout.tasks.resume_stuck_checkouts",
    "schedule": CHECKOUT_RESUME_INTERVAL_SECONDS,
    "options": {"expires": CHECKOUT_RESUME_INTERVAL_SECONDS * 3},
}

# Customer service (shop.support, docs/support.md)
INSTALLED_APPS += ["shop.support"]
# Per customer, in DRF's rate syntax, counted in the Redis cache: new tickets, and messages.
SUPPORT_TICKET_RATE = os.environ.get("SUPPORT_TICKET_RATE", "10/hour")
SUPPORT_MESSAGE_RATE = os.environ.get("SUPPORT_MESSAGE_RATE", "60/hour")

# REST API (docs/api.md). Rate limits per client (customer, else IP address) in DRF's rate
# syntax, counted in the Redis cache so every process shares them: sign-in and sign-up
# together, checkout (placing orders and quoting), search (results and facets), autocomplete.
API_THROTTLE_RATES = {
    "auth": os.environ.get("AUTH_THROTTLE_RATE", "30/min"),
    "checkout": os.environ.get("CHECKOUT_THROTTLE_RATE", "20/min"),
    "search": os.environ.get("SEARCH_THROTTLE_RATE", "120/min"),
    "suggest": os.environ.get("SUGGEST_THROTTLE_RATE", "600/min"),  # autocomplete: one per keystroke
}
# Idempotency keys (checkout, cancel, return; shop.core.idempotency) are kept this long.
IDEMPOTENCY_KEY_DAYS = int(os.environ.get("IDEMPOTENCY_KEY_DAYS", "7"))
CELERY_BEAT_SCHEDULE["core-prune-idempotency-keys"] = {
    "task": "shop.core.tasks.prune_idempotency_keys",
    "schedule": 24 * 3600.0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shop API",
    "DESCRIPTION": "The store's REST API for the mobile apps and the web (docs/api.md).",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
