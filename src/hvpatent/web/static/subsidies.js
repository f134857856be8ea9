// The spend chart of /subsidies/budget: committed and paid (bars) against the budget (a line) per item, town,
// industry or applicant type.  The data come from the page's <script type="application/json" id="subsidies-data">
// block; no inline script and no inline style (Content-Security-Policy): the .chart class sizes the box.
(function () {
  const data = JSON.parse(document.getElementById('subsidies-data').textContent);
  const chart = echarts.init(document.getElementById('chart'));
  const series = [
    {name: data.words.committed, type: 'bar', data: data.committed, itemStyle: {color: '#1f4e79'}},
    {name: data.words.paid, type: 'bar', data: data.paid, itemStyle: {color: '#548235'}}
  ];
  if (data.budget.some(function (b) { return b !== null; })) {
    series.push({name: data.words.budget, type: 'line', data: data.budget, itemStyle: {color: '#c55a11'}});
  }
  chart.setOption({
    animation: false, tooltip: {trigger: 'axis'}, legend: {top: 0},
    grid: {left: 80, right: 30, bottom: 90},
    xAxis: {type: 'category', data: data.names, axisLabel: {rotate: data.names.length > 6 ? 40 : 0}},
    yAxis: {type: 'value'},
    series: series
  });
  window.addEventListener('resize', function () { chart.resize(); });
})();
