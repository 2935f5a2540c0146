"""Database models, one module per concern: people and their faces (embeddings as 128
float32 little-endian, a 512-byte BLOB, and the aligned crop), operators and keys, live
video and events, and the session events that keep the gallery generation and the change
log in step with every write (changes.py, imported here so they always apply)."""
from .access import ROLES, ApiKey, AuditEntry, LoginFailure, Operator
from .base import EMBEDDING_DTYPE, name_key, utcnow
from .jobs import ImportJob
from .live import Camera, Delivery, Event, Webhook
from .cluster import CameraLease, ClusterHost, OpenVisit
from .library import GROUP_STATES, Correction, Sighting, UndoEntry, UnknownGroup
from .people import AppState, Face, Person, counts
from .changes import GALLERY_LOG_KEEP, GALLERY_MODELS, GALLERY_PENDING, GalleryChange, GalleryMeta, bump_generation  # noqa: I001

__all__ = ("ROLES", "ApiKey", "AuditEntry", "LoginFailure", "Operator", "EMBEDDING_DTYPE", "name_key",
           "utcnow", "ImportJob", "CameraLease", "ClusterHost", "OpenVisit", "Camera", "Delivery", "Event", "Webhook", "GROUP_STATES", "Correction",
           "Sighting", "UndoEntry", "UnknownGroup", "AppState", "Face", "Person", "counts",
           "GALLERY_LOG_KEEP", "GALLERY_MODELS", "GALLERY_PENDING", "GalleryChange", "GalleryMeta", "bump_generation")
