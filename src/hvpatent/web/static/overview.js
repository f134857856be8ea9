// The overview's charts: the quarterly trend and one gauge per target. The data come from the page's
// <script type="application/json" id="trend-data"> block; no inline script (Content-Security-Policy).
(function () {
  const trend = JSON.parse(document.getElementById('trend-data').textContent);
  echarts.init(document.getElementById('trend')).setOption({
    animation: false,
    title: {text: trend.title, textStyle: {fontSize: 14}},
    tooltip: {trigger: 'axis'}, legend: {top: 0, right: 0},
    xAxis: {type: 'category', data: trend.labels}, yAxis: {type: 'value', name: trend.unit},
    series: trend.series.map(s => ({name: s.name, type: 'line', data: s.values, label: {show: true, fontSize: 10}}))
  });
  document.querySelectorAll('.gauge').forEach(el => {
    const v = +el.dataset.value, max = +el.dataset.max;
    echarts.init(el).setOption({animation: false, series: [{type: 'gauge', min: 0, max: max, radius: '95%',
      center: ['50%', '70%'], startAngle: 180, endAngle: 0, progress: {show: true, width: 10},
      axisLine: {lineStyle: {width: 10}}, axisLabel: {show: false}, splitLine: {show: false},
      axisTick: {show: false}, pointer: {show: false},
      detail: {formatter: Math.round(v / max * 100) + '%', fontSize: 16, offsetCenter: [0, '-10%']},
      data: [{value: Math.min(v, max)}]}]});
  });
})();
