"""Print orders: an approved message printed as leaflets, banners or posters by a print shop."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.db import Base, UTCDateTime, enum_type, utcnow
from planner.models.content import MessageVersion
from planner.models.org import Unit, User


class PrintStatus(enum.Enum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PRINTED = "printed"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


PRINT_STATUS_LABELS = {
    PrintStatus.SUBMITTED: "Đã gửi cơ sở in",
    PrintStatus.ACCEPTED: "Cơ sở in đã nhận",
    PrintStatus.PRINTED: "Đã in",
    PrintStatus.DELIVERED: "Đã giao",
    PrintStatus.CANCELLED: "Đã hủy",
}

class ProofStatus(enum.Enum):
    """The order's print file: rendered and preflighted by the worker, then approved by the orderer."""

    QUEUED = "queued"
    READY = "ready"
    FAILED = "failed"
    APPROVED = "approved"


PROOF_STATUS_LABELS = {
    ProofStatus.QUEUED: "Đang dựng bản in thử",
    ProofStatus.READY: "Chờ duyệt bản in thử",
    ProofStatus.FAILED: "Không dựng được tệp in",
    ProofStatus.APPROVED: "Đã duyệt bản in thử",
}

# Who may move an order from one status to the next.
PRINT_TRANSITIONS = {
    PrintStatus.SUBMITTED: {PrintStatus.ACCEPTED, PrintStatus.CANCELLED},
    PrintStatus.ACCEPTED: {PrintStatus.PRINTED, PrintStatus.CANCELLED},
    PrintStatus.PRINTED: {PrintStatus.DELIVERED},
    PrintStatus.DELIVERED: set(),
    PrintStatus.CANCELLED: set(),
}


class PrintOrder(Base):
    """An order for a print shop: product, trim size in mm, quantity, status."""

    __tablename__ = "print_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_version_id: Mapped[int] = mapped_column(ForeignKey("message_versions.id"), index=True)
    product: Mapped[str] = mapped_column(String(32))
    width_mm: Mapped[int] = mapped_column()
    height_mm: Mapped[int] = mapped_column()
    quantity: Mapped[int] = mapped_column()
    print_shop_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # The unit the copies are for when a higher unit orders for it (reports count the order there).
    for_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[PrintStatus] = mapped_column(enum_type(PrintStatus), default=PrintStatus.SUBMITTED)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The proof: rendered by the worker, approved once, then that exact stored file is what is printed.
    proof_status: Mapped[ProofStatus] = mapped_column(enum_type(ProofStatus), default=ProofStatus.QUEUED,
                                                      server_default=ProofStatus.QUEUED.value, index=True)
    proof_file: Mapped[str] = mapped_column(String(300), default="", server_default="")
    proof_sha256: Mapped[str] = mapped_column(String(64), default="", server_default="")
    proof_bytes: Mapped[int | None] = mapped_column()
    proof_pages: Mapped[int | None] = mapped_column()
    proof_checks: Mapped[str] = mapped_column(Text, default="", server_default="")  # preflight, one per line
    proof_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    proof_rendered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    proof_approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    proof_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The job ticket (planner/print_ticket.py fills product defaults): paper, colours, finishing, delivery.
    paper: Mapped[str] = mapped_column(String(32), default="couche", server_default="couche")
    paper_gsm: Mapped[int] = mapped_column(default=150, server_default="150")
    colours: Mapped[str] = mapped_column(String(8), default="4/0", server_default="4/0")
    finishing: Mapped[str] = mapped_column(String(200), default="", server_default="")  # codes, comma-separated
    # Banner/flag options: a sewn hem added on every side of the finished size, grommets every N cm (0: none).
    hem_cm: Mapped[int] = mapped_column(default=0, server_default="0")
    grommet_every_cm: Mapped[int] = mapped_column(default=0, server_default="0")
    delivery_date: Mapped[dt.date | None] = mapped_column(Date)
    delivery_address: Mapped[str] = mapped_column(String(300), default="", server_default="")
    contact: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # Optimistic concurrency: counts saved changes; forms and ETags carry it (planner/operations/concurrency.py).
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    version: Mapped[MessageVersion] = relationship()
    print_shop: Mapped[Unit] = relationship(foreign_keys=[print_shop_id])
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    proof_approved_by: Mapped[User | None] = relationship(foreign_keys=[proof_approved_by_id])
    distribution: Mapped[list[PrintDistribution]] = relationship(
        back_populates="order", order_by="PrintDistribution.position", cascade="all, delete-orphan")

    @property
    def status_label(self) -> str:
        return PRINT_STATUS_LABELS[self.status]

    @property
    def stage_label(self) -> str:
        """What a person should read first: the proof's state until it is approved, then the order's."""
        if self.status is PrintStatus.SUBMITTED and self.proof_status is not ProofStatus.APPROVED:
            return PROOF_STATUS_LABELS[self.proof_status]
        return PRINT_STATUS_LABELS[self.status]

    @property
    def proof_status_label(self) -> str:
        return PROOF_STATUS_LABELS[self.proof_status]

    @property
    def number(self) -> str:
        """'DI-00042'."""
        return f"DI-{self.id:05d}"

    @property
    def product_label(self) -> str:
        """'Tờ rơi A5' rather than 'leaflet_a5'."""
        from planner.print_documents import PRODUCTS

        product = PRODUCTS.get(self.product)
        return product.label if product else self.product


class PrintDistribution(Base):
    """One village's share of an order: how many copies, and when the print shop delivered them."""

    __tablename__ = "print_distributions"
    __table_args__ = (UniqueConstraint("order_id", "unit_id", name="uq_print_distributions_order_id_unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("print_orders.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    quantity: Mapped[int] = mapped_column()
    households: Mapped[int | None] = mapped_column()  # as known when the order was placed
    is_by_households: Mapped[bool] = mapped_column(default=True)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delivered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    order: Mapped[PrintOrder] = relationship(back_populates="distribution")
    unit: Mapped[Unit] = relationship()
    delivered_by: Mapped[User | None] = relationship()
