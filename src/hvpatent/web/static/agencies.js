// The trend chart of /agencies: applications per year of the largest agencies, one line each.  The data come from
// the page's <script type="application/json" id="agencies-data"> block; no inline script and no inline style
// (Content-Security-Policy): the .chart class sizes the box.
(function () {
  const data = JSON.parse(document.getElementById('agencies-data').textContent);
  const chart = echarts.init(document.getElementById('chart'));
  chart.setOption({
    animation: false, tooltip: {trigger: 'axis'}, legend: {top: 0, type: 'scroll'},
    grid: {left: 60, right: 30, top: 50, bottom: 40},
    xAxis: {type: 'category', data: data.years},
    yAxis: {type: 'value', minInterval: 1},
    series: data.series.map(function (s) { return {name: s.name, type: 'line', data: s.values}; })
  });
  window.addEventListener('resize', function () { chart.resize(); });
})();
