package product

// mqttRegions is the region table of seed 000, all 20 rows, verbatim. The
// domain column names ons.* hosts, which are RocketMQ's (docs/protocol.md §7.7); the
// MQTT endpoints are onsmqtt.* (see Profile.Host).
var mqttRegions = []Region{
	{"Internet", "mq-internet-access", "ons.mq-internet-access.aliyuncs.com"},
	{"China (Hangzhou)", "cn-hangzhou", "ons.cn-hangzhou.aliyuncs.com"},
	{"China (Shanghai)", "cn-shanghai", "ons.cn-shanghai.aliyuncs.com"},
	{"China (Qingdao)", "cn-qingdao", "ons.cn-qingdao.aliyuncs.com"},
	{"China (Beijing)", "cn-beijing", "ons.cn-beijing.aliyuncs.com"},
	{"China (Zhangjiakou-Beijing Winter Olympics)", "cn-zhangjiakou", "ons.cn-zhangjiakou.aliyuncs.com"},
	{"China (Hohhot)", "cn-huhehaote", "ons.cn-huhehaote.aliyuncs.com"},
	{"China (Shenzhen)", "cn-shenzhen", "ons.cn-shenzhen.aliyuncs.com"},
	{"China (Hong Kong)", "cn-hongkong", "ons.cn-hongkong.aliyuncs.com"},
	{"Singapore", "ap-southeast-1", "ons.ap-southeast-1.aliyuncs.com"},
	{"Australia (Sydney)", "ap-southeast-2", "ons.ap-southeast-2.aliyuncs.com"},
	{"Malaysia (Kuala Lumpur)", "ap-southeast-3", "ons.ap-southeast-3.aliyuncs.com"},
	{"Indonesia (Jakarta)", "ap-southeast-5", "ons.ap-southeast-5.aliyuncs.com"},
	{"Japan (Tokyo)", "ap-northeast-1", "ons.ap-northeast-1.aliyuncs.com"},
	{"Germany (Frankfurt)", "eu-central-1", "ons.eu-central-1.aliyuncs.com"},
	{"US (Silicon Valley)", "us-west-1", "ons.us-west-1.aliyuncs.com"},
	{"East China 1 Finance", "cn-hangzhou-finance", "ons.cn-hangzhou-finance.aliyuncs.com"},
	{"South China 1 Finance", "cn-shenzhen-finance-1", "ons.cn-shenzhen-finance-1.aliyuncs.com"},
	{"China East 2 Finance", "cn-shanghai-finance-1", "ons.cn-shanghai-finance-1.aliyuncs.com"},
	{"China North 2 Ali Gov", "cn-north-2-gov-1", "ons.cn-north-2-gov-1.aliyuncs.com"},
}

// rabbitRegions is the RabbitMQ API's region table from the "Endpoints" page
// (https://www.alibabacloud.com/help/doc-detail/183345.htm); the seeds give
// only the regionless amqp-open.aliyuncs.com. More regions can be added with
// a profile file.
var rabbitRegions = []Region{
	{Name: "China (Hangzhou)", ID: "cn-hangzhou"},
	{Name: "China (Shanghai)", ID: "cn-shanghai"},
	{Name: "China (Qingdao)", ID: "cn-qingdao"},
	{Name: "China (Beijing)", ID: "cn-beijing"},
	{Name: "China (Zhangjiakou)", ID: "cn-zhangjiakou"},
	{Name: "China (Hohhot)", ID: "cn-huhehaote"},
	{Name: "China (Ulanqab)", ID: "cn-wulanchabu"},
	{Name: "China (Shenzhen)", ID: "cn-shenzhen"},
	{Name: "China (Guangzhou)", ID: "cn-guangzhou"},
	{Name: "China (Chengdu)", ID: "cn-chengdu"},
	{Name: "China (Hong Kong)", ID: "cn-hongkong"},
	{Name: "India (Mumbai)", ID: "ap-south-1"},
	{Name: "Indonesia (Jakarta)", ID: "ap-southeast-5"},
	{Name: "Philippines (Manila)", ID: "ap-southeast-6"},
	{Name: "Japan (Tokyo)", ID: "ap-northeast-1"},
	{Name: "Singapore", ID: "ap-southeast-1"},
	{Name: "Australia (Sydney)", ID: "ap-southeast-2"},
	{Name: "Malaysia (Kuala Lumpur)", ID: "ap-southeast-3"},
	{Name: "Germany (Frankfurt)", ID: "eu-central-1"},
}
