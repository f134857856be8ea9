// The ranked bar chart of the towns / industries / enterprises pages. The data come from the page's
// <script type="application/json" id="chart-data"> block; no inline script (Content-Security-Policy).
(function () {
  const data = JSON.parse(document.getElementById('chart-data').textContent);
  const el = document.getElementById('chart');
  el.style.height = (120 + 24 * data.count) + 'px';
  echarts.init(el).setOption({
    animation: false,
    title: {text: data.title, textStyle: {fontSize: 14}},
    tooltip: {}, grid: {left: 140, right: 60},
    xAxis: {type: 'value'}, yAxis: {type: 'category', data: data.rows.map(r => r.name), inverse: true},
    series: [{type: 'bar', data: data.rows.map(r => r.value), itemStyle: {color: '#1f4e79'},
              label: {show: true, position: 'right'}}]
  });
})();
