"""Print orders: an approved message printed as leaflets, banners or posters by a print shop."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, String, Text
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

    version: Mapped[MessageVersion] = relationship()
    print_shop: Mapped[Unit] = relationship(foreign_keys=[print_shop_id])
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    created_by: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return PRINT_STATUS_LABELS[self.status]

    @property
    def product_label(self) -> str:
        """'Tờ rơi A5' rather than 'leaflet_a5'."""
        from planner.print_documents import PRODUCTS

        product = PRODUCTS.get(self.product)
        return product.label if product else self.product
