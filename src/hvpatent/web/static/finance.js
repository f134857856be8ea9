// The pledge statistics chart of /finance: contracts (bars) and amounts in 10k CNY (line) per group; a click on
// a bar or a point opens the contracts behind it.  The data come from the page's
// <script type="application/json" id="finance-data"> block; no inline script (Content-Security-Policy).
(function () {
  const data = JSON.parse(document.getElementById('finance-data').textContent);
  const chart = echarts.init(document.getElementById('chart'));
  chart.setOption({
    animation: false, tooltip: {trigger: 'axis'}, legend: {top: 0},
    grid: {left: 60, right: 60, bottom: 80},
    xAxis: {type: 'category', data: data.names, axisLabel: {rotate: data.names.length > 8 ? 40 : 0}},
    yAxis: [{type: 'value', name: data.words.contracts, minInterval: 1}, {type: 'value', name: data.words.amount_wan}],
    series: [
      {name: data.words.contracts, type: 'bar', data: data.contracts, itemStyle: {color: '#1f4e79'},
       label: {show: true, position: 'top'}},
      {name: data.words.amount_wan, type: 'line', yAxisIndex: 1, data: data.amounts, itemStyle: {color: '#c55a11'}}
    ]
  });
  chart.on('click', function (p) { if (data.urls[p.dataIndex]) { window.location.href = data.urls[p.dataIndex]; } });
})();
