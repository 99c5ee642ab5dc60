package signature

import (
	_ "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	_ "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	_ "github.com/alibabacloud-go/openapi-util/service"
	_ "github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	_ "github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	_ "github.com/aliyun/alibaba-cloud-sdk-go/services/onsmqtt"
	_ "github.com/aliyun/alibaba-cloud-sdk-go/services/amqp-open"
	_ "github.com/alibabacloud-go/tea/dara"
	_ "github.com/alibabacloud-go/tea/tea"
)
