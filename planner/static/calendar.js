// Drag and drop in the calendar. Week view: drop a planned broadcast on another session of the same row.
// Month view of one target: drop it on another day; the first session of that day with room that the
// server accepts takes it. The server decides (room, once per session, minimum gap) and its answer is
// shown, with a "Hoàn tác" button that puts it back (the same undo as on the broadcast's page). A moved
// broadcast is pinned, and shows the pin mark at once. Keyboard and phone users move from the broadcast's
// own page ("Dời lịch").
(function () {
  const box = document.querySelector("table.calendar.week[data-csrf], .month-dnd[data-csrf]");
  if (!box) return;
  const month = box.classList.contains("month-dnd");
  const zones = month ? ".month-cell[data-sessions]" : ".session[data-start]";
  const say = document.getElementById("calendar-message");
  let dragged = null;

  function show(text, ok, undo) {
    say.hidden = false;
    say.textContent = text;
    say.className = "flash " + (ok ? "flash-success" : "flash-error");
    say.setAttribute("role", ok ? "status" : "alert");
    if (undo) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.id = "calendar-undo";
      button.textContent = "Hoàn tác";
      button.addEventListener("click", undo, { once: true });
      say.append(" ", button);
    }
  }

  function markPinned(item, pinned) {
    const mark = item.querySelector(".pin-mark");
    if (pinned && !mark) {
      const pin = document.createElement("span");
      pin.className = "pin-mark";
      pin.setAttribute("role", "img");
      pin.setAttribute("aria-label", "đã ghim");
      item.prepend(pin);
    } else if (!pinned && mark) {
      mark.remove();
    }
  }

  box.addEventListener("dragstart", (event) => {
    const item = event.target.closest("a.occ[draggable=true]");
    if (!item) return;
    dragged = item;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.move);
  });
  box.addEventListener("dragend", () => {
    dragged = null;
    box.querySelectorAll(".drop-ok").forEach((el) => el.classList.remove("drop-ok"));
  });

  function target(event) {
    const zone = event.target.closest(zones);
    if (!zone || !dragged || zone.dataset.target !== dragged.dataset.target) return null;
    return month && zone.contains(dragged) ? null : zone;
  }
  box.addEventListener("dragover", (event) => {
    const zone = target(event);
    if (!zone) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    zone.classList.add("drop-ok");
  });
  box.addEventListener("dragleave", (event) => {
    const zone = event.target.closest(zones);
    if (zone) zone.classList.remove("drop-ok");
  });

  // Week view: a session's fill (its broadcasts' seconds over its capacity), as the server drew it, after a move.
  function refill(zone) {
    const session = zone && zone.closest(".session[data-cap]");
    const label = session && session.querySelector(".fill");
    if (!label) return;
    let used = 0;
    session.querySelectorAll("a.occ[data-s]").forEach((a) => { used += Number(a.dataset.s); });
    const fill = Math.min(999, Math.round((100 * used) / Number(session.dataset.cap)));
    session.dataset.fill = String(fill);
    label.textContent = fill + "%";
    label.classList.toggle("over", fill > 100);
    label.classList.toggle("high", fill >= 80 && fill <= 100);
  }

  async function post(url, startsAt) {
    const data = new FormData();
    if (startsAt) data.append("starts_at", startsAt);
    const res = await fetch(url, { method: "POST", body: data,
      headers: { "X-CSRFToken": box.dataset.csrf }, credentials: "same-origin" });
    return res.json();
  }

  box.addEventListener("drop", async (event) => {
    const zone = target(event);
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("drop-ok");
    const item = dragged;
    const home = item.parentNode, next = item.nextSibling;
    const starts = month ? zone.dataset.sessions.trim().split(/\s+/).filter(Boolean) : [zone.dataset.start];
    if (!starts.length) {
      show("Không dời được: ngày này không có phiên nào sắp tới của điểm phát này.", false);
      return;
    }
    try {
      let answer = null;
      for (const startsAt of starts) {
        answer = await post(item.dataset.move, startsAt);
        if (answer.ok) break;
      }
      if (!answer.ok) {
        show(answer.message, false);
        return;
      }
      zone.appendChild(item);
      item.classList.add("moved");
      markPinned(item, answer.pinned);
      refill(zone);
      refill(home);
      show(answer.message, true, async () => {
        try {
          const back = await post(answer.undo, null);
          if (back.ok) {
            home.insertBefore(item, next && next.parentNode === home ? next : null);
            item.classList.remove("moved");
            markPinned(item, back.pinned);
            refill(zone);
            refill(home);
          }
          show(back.message, back.ok);
        } catch (err) {
          show("Không hoàn tác được: mất kết nối tới máy chủ. Vui lòng thử lại.", false);
        }
      });
    } catch (err) {
      show("Không dời được: mất kết nối tới máy chủ. Vui lòng thử lại.", false);
    }
  });
})();
