// A sensor's page: its kept readings as a line, with the alarm and clear levels drawn across.
"use strict";
(function () {
  const holder = document.getElementById("sensor-chart");
  const source = document.getElementById("sensor-data");
  if (!holder || !source || !window.echarts) { return; }
  const data = JSON.parse(source.textContent);
  const levels = [];
  if (data.alarm !== null) { levels.push({ yAxis: data.alarm, lineStyle: { color: "#b91c1c" }, label: { formatter: `▲ ${data.alarm}` } }); }
  if (data.clear !== null) { levels.push({ yAxis: data.clear, lineStyle: { color: "#15803d" }, label: { formatter: `▼ ${data.clear}` } }); }
  const chart = echarts.init(holder);
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    grid: { left: 60, right: 60, top: 36, bottom: 40 },
    xAxis: { type: "time" },
    yAxis: { type: "value", name: data.unit || "", scale: true },
    series: [{
      type: "line",
      step: "end",
      showSymbol: data.points.length < 60,
      data: data.points,
      markLine: { symbol: "none", data: levels },
    }],
  });
  window.addEventListener("resize", () => chart.resize());
  holder.classList.add("ready");
})();
