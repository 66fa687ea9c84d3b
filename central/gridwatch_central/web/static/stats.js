// Statistics: the rates of each group as a bar chart (the table below has every figure).
"use strict";
(function () {
  const holder = document.getElementById("chart");
  const source = document.getElementById("chart-data");
  if (!holder || !source || !window.echarts) { return; }
  const data = JSON.parse(source.textContent);
  const chart = echarts.init(holder);
  const series = Object.keys(data.series).map((name) => ({
    name: data.labels[name],
    type: "bar",
    data: data.series[name].map((value) => (value === null ? null : Math.round(value * 1000) / 10)),
  }));
  chart.setOption({
    animation: false,  // drawn at once: a print or a screenshot never catches bars half-grown
    tooltip: { trigger: "axis", valueFormatter: (value) => (value === null ? "—" : `${value}%`) },
    legend: { top: 0 },
    grid: { left: 50, right: 20, top: 40, bottom: 60 },
    xAxis: { type: "category", data: data.keys, axisLabel: { interval: 0, rotate: data.keys.length > 6 ? 30 : 0 } },
    yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
    series: series,
  });
  window.addEventListener("resize", () => chart.resize());
  holder.classList.add("ready");
})();
