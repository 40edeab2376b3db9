// Drag and drop in the week calendar: drop a planned broadcast on another session of the same row; the
// server decides (room, once per session, minimum gap) and its answer is shown. Keyboard and phone users
// move from the broadcast's own page ("Dời lịch").
(function () {
  const table = document.querySelector("table.calendar.week[data-csrf]");
  if (!table) return;
  const say = document.getElementById("calendar-message");
  let dragged = null;

  function show(text, ok) {
    say.hidden = false;
    say.textContent = text;
    say.className = "flash " + (ok ? "flash-success" : "flash-error");
    say.setAttribute("role", ok ? "status" : "alert");
  }

  table.addEventListener("dragstart", (event) => {
    const item = event.target.closest("a.occ[draggable=true]");
    if (!item) return;
    dragged = item;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.move);
  });
  table.addEventListener("dragend", () => {
    dragged = null;
    table.querySelectorAll(".session.drop-ok").forEach((el) => el.classList.remove("drop-ok"));
  });

  function target(event) {
    const session = event.target.closest(".session[data-start]");
    return session && dragged && session.dataset.target === dragged.dataset.target ? session : null;
  }
  table.addEventListener("dragover", (event) => {
    const session = target(event);
    if (!session) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    session.classList.add("drop-ok");
  });
  table.addEventListener("dragleave", (event) => {
    const session = event.target.closest(".session");
    if (session) session.classList.remove("drop-ok");
  });
  table.addEventListener("drop", async (event) => {
    const session = target(event);
    if (!session) return;
    event.preventDefault();
    const item = dragged;
    const data = new FormData();
    data.append("starts_at", session.dataset.start);
    try {
      const res = await fetch(item.dataset.move, { method: "POST", body: data,
        headers: { "X-CSRFToken": table.dataset.csrf }, credentials: "same-origin" });
      const answer = await res.json();
      if (answer.ok) {
        session.appendChild(item);
        item.classList.add("moved");
      }
      show(answer.message, answer.ok);
    } catch (err) {
      show("Không dời được: mất kết nối tới máy chủ. Vui lòng thử lại.", false);
    }
  });
})();
