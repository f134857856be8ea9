// The charts of an industry's navigation page (web/navigation.py): trend, share, the technology tree as a
// sunburst, the region's top applicants and the co-applicant graph. Each links to the list of its patents, whose
// length is the value clicked (a trend point: its series' filters and year; a node: any applicant position).
// The data come from the page's <script type="application/json" id="navigation-data"> block; no inline script
// (Content-Security-Policy).
(function () {
  const d = JSON.parse(document.getElementById('navigation-data').textContent);
  const w = d.words;
  const open = params => { window.location.href = d.base + '&' + new URLSearchParams(params).toString(); };
  const chart = id => echarts.init(document.getElementById(id));

  const trend = chart('trend-chart');
  trend.setOption({
    animation: false, tooltip: {trigger: 'axis'}, legend: {top: 0, type: 'scroll'}, grid: {top: 50},
    xAxis: {type: 'category', data: d.years}, yAxis: {type: 'value'},
    series: d.series.map(s => ({name: s.name, type: 'line', data: s.values,
                                lineStyle: {type: s.side === 'compare' ? 'dashed' : 'solid'}}))
  });
  trend.on('click', p => {
    const s = d.series[p.seriesIndex];
    open({...s.filters, year: d.years[p.dataIndex]});
  });

  const share = chart('share-chart');
  share.setOption({
    animation: false, tooltip: {trigger: 'axis', valueFormatter: v => v == null ? '—' : (v * 100).toFixed(1) + '%'},
    xAxis: {type: 'category', data: d.years},
    yAxis: {type: 'value', axisLabel: {formatter: v => (v * 100).toFixed(0) + '%'}},
    series: [{name: d.share.name, type: 'line', data: d.share.values, connectNulls: false}]
  });
  share.on('click', p => open({...d.share.filters, year: d.years[p.dataIndex]}));

  const sun = chart('sunburst-chart');
  sun.setOption({
    animation: false,
    tooltip: {formatter: p => p.data.name + '<br>' + w.region_count + ': ' + p.data.value +
                              '<br>' + w.compare_count + ': ' + p.data.compare},
    series: [{type: 'sunburst', data: d.sunburst, radius: [0, '95%'], nodeClick: false, sort: null,
              label: {rotate: 'radial', fontSize: 10}, emphasis: {focus: 'ancestor'}}]
  });
  sun.on('click', p => { if (p.data && p.data.branch) open({side: 'region', branch: p.data.branch}); });

  const bar = chart('applicants-chart');
  bar.setOption({
    animation: false, tooltip: {}, grid: {left: 180, right: 40},
    xAxis: {type: 'value'}, yAxis: {type: 'category', data: d.applicants.names, inverse: true},
    series: [{type: 'bar', data: d.applicants.values, itemStyle: {color: '#1f4e79'}, label: {show: true, position: 'right'}}]
  });
  bar.on('click', p => open({side: 'region', applicant: d.applicants.names[p.dataIndex]}));

  const net = chart('network-chart');
  const types = [...new Set(d.network.nodes.map(n => n.applicant_type || ''))];
  net.setOption({
    animation: false, tooltip: {}, legend: {data: types, top: 0},
    series: [{type: 'graph', layout: 'force', roam: true, draggable: true, force: {repulsion: 120, edgeLength: 80},
              categories: types.map(t => ({name: t})),
              label: {show: true, position: 'right', fontSize: 10},
              data: d.network.nodes.map(n => ({id: String(n.id), name: n.name, value: n.patents,
                                              category: types.indexOf(n.applicant_type || ''),
                                              symbolSize: 8 + Math.min(30, 3 * Math.sqrt(n.patents || 1)),
                                              itemStyle: n.local ? {} : {opacity: 0.6}})),
              links: d.network.edges.map(e => ({source: String(e.source), target: String(e.target), value: e.patents,
                                                lineStyle: {width: Math.min(6, 1 + Math.log2(e.patents || 1))}}))}]
  });
  net.on('click', p => {
    if (p.dataType === 'node') open({side: 'region', applicant: p.data.name, party: 'any'});
  });
  window.addEventListener('resize', () => [trend, share, sun, bar, net].forEach(c => c.resize()));
})();
